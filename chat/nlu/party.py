"""Words that put a conversation in party mode ("친구들이랑", "파티로", a party's name) or out of it ("혼자").

Kept apart from the entity NLU: a party is the user's own data, not vocabulary, so it is read against the names
of the parties the user is in.
"""

from __future__ import annotations

import unicodedata

# "Plan for my group": the people one goes with, said in passing.
PARTY_CUES = (
    "친구들이랑",
    "친구들과",
    "친구들하고",
    "친구랑",
    "친구들끼리",
    "파티로",
    "파티랑",
    "파티원",
    "우리파티",
    "파티모드",
    "모임에서",
    "다같이",
    "partymode",
    "withfriends",
)
# "Just me": back to one person's plan.
SOLO_CUES = ("혼자", "나혼자", "솔플", "파티말고", "파티빼고", "파티없이", "파티해제", "solo")
NAME_MIN_CHARS = 2


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


def party_cue(text: str) -> bool:
    """The message speaks of going with one's group ("친구들이랑 강남 갈 만한 곳")."""
    compact = _compact(text)
    return any(cue in compact for cue in PARTY_CUES)


def solo_cue(text: str) -> bool:
    """The message says the user goes alone, or leaves party mode ("혼자 갈 거야", "파티 말고")."""
    compact = _compact(text)
    return any(cue in compact for cue in SOLO_CUES)


def party_named(text: str, names: dict[int, str]) -> list[int]:
    """Ids of the parties whose name the message contains (spaces and case ignored), longest name first."""
    compact = _compact(text)
    found = [
        (len(name_compact), party_id)
        for party_id, name in names.items()
        if len(name_compact := _compact(name)) >= NAME_MIN_CHARS and name_compact in compact
    ]
    return [party_id for _, party_id in sorted(found, key=lambda item: (-item[0], item[1]))]


def party_names_removed(text: str, names: dict[int, str]) -> str:
    """The text without the party names it contains (spaces and case ignored): "주말방탈출로 홍대" → "로 홍대", so
    a name's words ("주말") are not read as conditions."""
    import re

    out = unicodedata.normalize("NFKC", text or "")
    for name in sorted(names.values(), key=lambda name: -len(_compact(name))):
        chars = _compact(name)
        if len(chars) < NAME_MIN_CHARS:
            continue
        pattern = r"\s*".join(re.escape(char) for char in chars)
        out = re.sub(pattern, " ", out, flags=re.IGNORECASE)
    return out


def party_words(text: str, names: dict[int, str]) -> bool:
    """Whether the text has any party word: a cue, a solo cue or one of these party names."""
    return party_cue(text) or solo_cue(text) or bool(party_named(text, names))
