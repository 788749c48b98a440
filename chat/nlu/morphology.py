"""Korean morphemes with tags and offsets for the NLU (one Kiwi per process, loaded on first use)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

_lock = threading.Lock()


@dataclass(frozen=True)
class Token:
    form: str
    tag: str
    start: int  # offset in the analysed text
    end: int


@lru_cache(maxsize=1)
def _kiwi():
    # Imported here: loading the model takes seconds and memory a process that never chats should not pay.
    from kiwipiepy import Kiwi

    return Kiwi()


def tokens(text: str) -> list[Token]:
    with _lock:  # Kiwi's tokenize is not documented as thread-safe; calls take well under a millisecond.
        analysed = _kiwi().tokenize(text)
    return [Token(form=t.form, tag=t.tag, start=t.start, end=t.start + t.len) for t in analysed]
