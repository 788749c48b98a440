"""The reply validator: model output is never trusted.

A reply may cite rooms only as [room:ID], and only rooms that were retrieved for this message; it may not name
another catalogue room in plain words; it may not reveal its instructions (verbatim, paraphrased or translated);
it may not carry markup (HTML, markdown links or images, code blocks) or a URL (booking links are the cards'
buttons: a URL in the text breaks mid-word on a phone and may be made up); it may not loop. A reply that breaks a
rule is thrown away and the template reply is used instead. Citations are then rendered with the names from our
database, so the names the user reads are never the model's, and the text is capped at `max_chars` at a sentence
end.

Every check reads the text as a person would see it: NFKC-normalised, with invisible format characters
(zero-width spaces and joiners, bidirectional overrides, the BOM) removed, so that "지\u200b하 납골당" or
"[ｒｏｏｍ：１]" are what they look like. Those characters are also removed from what the user gets.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from chat.llm.prompts import REPLY_SYSTEM, SYSTEM_PROMPT_MARKER

CITATION = re.compile(r"\[\s*room\s*:\s*(\d{1,12})\s*\]", re.IGNORECASE)
_MIN_NAME_CHARS = 4  # shorter names ("숲") occur in ordinary words too often to be evidence
# Lines of our instructions long enough that seeing one in a reply can only mean an echo.
_PROMPT_LINES = [line.strip("- ").strip() for line in REPLY_SYSTEM.splitlines() if len(line) > 30]

# Markup a reply may not carry: it is plain text, shown with textContent, but a client of the API might render it.
_MARKUP = [
    ("html", re.compile(r"<\s*[a-z!/?]", re.IGNORECASE)),
    ("markdown link", re.compile(r"!?\[[^\]\n]*\]\s*\([^)\n]*\)")),
    ("code block", re.compile(r"```|~~~")),
    ("script url", re.compile(r"\b(?:javascript|vbscript|data)\s*:", re.IGNORECASE)),
]
_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s)\]>\"']+|\b[\w-]+\.(?:com|kr|net|org|co\.kr|io)\b", re.IGNORECASE)

# Talk about instructions: in a room recommendation, these only appear when the model reveals (or paraphrases,
# or translates) what it was told. Compared on compact text (no spaces, lower case).
_LEAK_TERMS = (
    "시스템프롬프트",
    "프롬프트",
    "시스템메시지",
    "지시사항",
    "지시문",
    "내부규칙",
    "내규칙",
    "제규칙",
    "systemprompt",
    "systemmessage",
    "myinstructions",
    "instructionsiwas",
    "iwasinstructed",
    "iwastold",
    "myrules",
    "myguidelines",
    "システムプロンプト",
    "指示",
    "系统提示",
    "提示词",
    "user_message",
    "<rooms>",
    "room:id",
    "[room:id]",
)
# Distinctive words of our rules: several of them together is the rules retold in other words.
_RULE_WORDS = (
    "지어내지",
    "데이터다",
    "데이터일",
    "데이터입니다",
    "데이터로",
    "따르지않",
    "공개하지않",
    "공개하지말",
    "마크다운",
    "코드블록",
    "3~6문장",
    "목록에있는테마만",
    "목록에없는테마",
    "서버가이름으로",
    "표기를쓴",
    "makeup",
    "invent",
    "onlytherooms",
    "onlyrooms",
    "plaintext",
    "markdown",
    "neverreveal",
    "donotreveal",
)
_RULE_WORDS_LEAK = 2
_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])\s+|\n+")
_REPEATED_SENTENCE = 3  # the same sentence this many times is a loop, not an answer


def visible_text(text: str) -> str:
    """NFKC, without the invisible format characters (Unicode category Cf: zero-width, bidi controls, BOM)."""
    normalised = unicodedata.normalize("NFKC", text)
    return "".join(char for char in normalised if unicodedata.category(char) != "Cf")


def _compact(text: str) -> str:
    return "".join(visible_text(text).split()).lower()


@dataclass
class GroundingResult:
    ok: bool
    text: str  # the reply as the user will read it (citations rendered as room names)
    cited_ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _leaks(visible: str) -> list[str]:
    compact = _compact(visible)
    problems = []
    if _compact(SYSTEM_PROMPT_MARKER) in compact or any(_compact(line) in compact for line in _PROMPT_LINES):
        problems.append("echoes the system prompt")
    terms = [term for term in _LEAK_TERMS if term in compact]
    if terms:
        problems.append(f"talks about its instructions ({', '.join(terms[:3])})")
    rule_words = [word for word in _RULE_WORDS if word in compact]
    if len(rule_words) >= _RULE_WORDS_LEAK:
        problems.append(f"retells its rules ({', '.join(rule_words[:3])})")
    return problems


def _markup(visible: str) -> list[str]:
    problems = [f"carries {kind}" for kind, pattern in _MARKUP if pattern.search(visible)]
    if _URL.search(visible):
        problems.append("contains a URL")
    return problems


def _loops(visible: str) -> list[str]:
    sentences = [_compact(part) for part in _SENTENCE_END.split(visible) if len(_compact(part)) >= 5]
    most = Counter(sentences).most_common(1)
    return ["repeats itself"] if most and most[0][1] >= _REPEATED_SENTENCE else []


def reply_cap(text: str, max_chars: int | None) -> str:
    """At most `max_chars`, cut after the last sentence that fits (or at a space, with "…")."""
    if not max_chars or len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [match.start() for match in re.finditer(r"[.!?。！？](?=\s|$)", head + " ")]
    if ends and ends[-1] >= max_chars // 3:
        return head[: ends[-1] + 1].rstrip()
    cut = head[: max_chars - 1].rsplit(" ", 1)[0] or head[: max_chars - 1]
    return cut.rstrip() + "…"


def reply_ground(
    *,
    text: str,
    rooms: dict[int, str],
    catalogue_names: dict[int, str],
    max_chars: int | None = None,
) -> GroundingResult:
    """`rooms`: id → name of the retrieved rooms; `catalogue_names`: id → name of every active room;
    `max_chars`: the longest reply, cut at a sentence end."""
    visible = visible_text(text)
    problems: list[str] = []
    cited: list[int] = []
    for match in CITATION.finditer(visible):
        room_id = int(match.group(1))
        if room_id not in rooms:
            problems.append(
                f"cites room {room_id}, which was {'not retrieved' if room_id in catalogue_names else 'unknown'}"
            )
        elif room_id not in cited:
            cited.append(room_id)

    without_citations = CITATION.sub(" ", visible)
    compact = _compact(without_citations)
    retrieved_names = [_compact(name) for name in rooms.values()]
    for room_id, name in catalogue_names.items():
        key = _compact(name)
        if room_id in rooms or len(key) < _MIN_NAME_CHARS or any(key in other for other in retrieved_names):
            continue
        if key in compact:
            problems.append(f"names room {room_id}, which was not retrieved")

    problems += _leaks(without_citations)
    problems += _markup(without_citations)
    problems += _loops(without_citations)

    rendered = CITATION.sub(lambda match: rooms.get(int(match.group(1)), ""), visible).strip()
    if not rendered:
        problems.append("empty reply")
    return GroundingResult(ok=not problems, text=reply_cap(rendered, max_chars), cited_ids=cited, problems=problems)


def sentences_split(buffer: str) -> tuple[list[str], str]:
    """The finished sentences at the start of `buffer` (each with the whitespace after it) and what is left."""
    finished, start = [], 0
    for match in _SENTENCE_END.finditer(buffer):
        if match.end() == len(buffer) and not match.group().startswith("\n"):
            break  # a space at the very end may still become part of a longer run: wait for more text
        finished.append(buffer[start : match.end()])
        start = match.end()
    return finished, buffer[start:]


class SentenceGrounder:
    """`reply_ground` for a reply that arrives sentence by sentence: each finished sentence is checked as it
    comes, and what may span sentences (an echo or retelling of the instructions, a loop) is looked for in
    everything said so far. `full` turns true once the reply reaches `max_chars`: the rest is not said."""

    def __init__(
        self,
        *,
        rooms: dict[int, str],
        catalogue_names: dict[int, str],
        max_chars: int | None = None,
    ):
        self.rooms = rooms
        self.catalogue_names = catalogue_names
        self.max_chars = max_chars
        self.accepted = ""  # the model's text of the sentences that passed, before rendering
        self.said = 0  # characters of rendered text let through
        self.full = False

    def check(self, sentence: str) -> GroundingResult:
        result = reply_ground(text=sentence, rooms=self.rooms, catalogue_names=self.catalogue_names)
        problems = [problem for problem in result.problems if problem != "empty reply"]
        so_far = CITATION.sub(" ", visible_text(self.accepted + sentence))
        problems += [problem for problem in _leaks(so_far) + _loops(so_far) if problem not in problems]
        if problems:
            return GroundingResult(ok=False, text="", cited_ids=result.cited_ids, problems=problems)
        # Keep the sentence's own trailing space or line break after rendering (the stream re-joins exactly).
        trailing = sentence[len(sentence.rstrip()) :]
        text = result.text + trailing if result.text else ""
        if self.max_chars and self.said + len(text.rstrip()) > self.max_chars:
            self.full = True  # the cap: the reply ends after the last sentence that fitted
            return GroundingResult(ok=True, text="", cited_ids=[], problems=[])
        self.accepted += sentence
        self.said += len(text)
        return GroundingResult(ok=True, text=text, cited_ids=result.cited_ids, problems=[])
