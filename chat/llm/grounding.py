"""The reply validator: model output is never trusted.

A reply may cite rooms only as [room:ID], and only rooms that were retrieved for this message; it may not name
another catalogue room in plain words; it may not echo the system prompt; it may not carry a URL (booking links are
the cards' buttons). A reply that breaks a rule is thrown
away and the template reply is used instead. Citations are then rendered with the names from our database, so
the names the user reads are never the model's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chat.llm.prompts import REPLY_SYSTEM, SYSTEM_PROMPT_MARKER

CITATION = re.compile(r"\[\s*room\s*:\s*(\d{1,12})\s*\]", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]{0,200}>")
# Links live on the cards as buttons; a URL in the text breaks mid-word on a phone and may be made up.
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|kr|net|org|co\.kr|io)\b", re.IGNORECASE)
_MIN_NAME_CHARS = 4  # shorter names ("숲") occur in ordinary words too often to be evidence
# Lines of our instructions long enough that seeing one in a reply can only mean an echo.
_PROMPT_LINES = [line.strip("- ").strip() for line in REPLY_SYSTEM.splitlines() if len(line) > 30]


def _compact(text: str) -> str:
    return "".join(text.split()).lower()


@dataclass
class GroundingResult:
    ok: bool
    text: str  # the reply as the user will read it (citations rendered as room names)
    cited_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def reply_ground(*, text: str, rooms: dict[int, str], catalogue_names: dict[int, str]) -> GroundingResult:
    """`rooms`: id → name of the retrieved rooms; `catalogue_names`: id → name of every active room."""
    problems: list[str] = []
    cited: list[int] = []
    for match in CITATION.finditer(text):
        room_id = int(match.group(1))
        if room_id not in rooms:
            problems.append(
                f"cites room {room_id}, which was {'not retrieved' if room_id in catalogue_names else 'unknown'}"
            )
        elif room_id not in cited:
            cited.append(room_id)

    without_citations = CITATION.sub(" ", text)
    compact = _compact(without_citations)
    retrieved_names = [_compact(name) for name in rooms.values()]
    for room_id, name in catalogue_names.items():
        key = _compact(name)
        if room_id in rooms or len(key) < _MIN_NAME_CHARS or any(key in other for other in retrieved_names):
            continue
        if key in compact:
            problems.append(f"names room {room_id}, which was not retrieved")

    if SYSTEM_PROMPT_MARKER in text or any(_compact(line) in compact for line in _PROMPT_LINES):
        problems.append("echoes the system prompt")
    if _URL.search(without_citations):
        problems.append("contains a URL")

    rendered = CITATION.sub(lambda match: rooms.get(int(match.group(1)), ""), text)
    rendered = _TAG.sub("", rendered).strip()
    if not rendered:
        problems.append("empty reply")
    return GroundingResult(ok=not problems, text=rendered, cited_ids=cited, problems=problems)
