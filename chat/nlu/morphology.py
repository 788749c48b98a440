"""Korean morphemes with tags and offsets for the NLU.

The analyser is the one `rooms.text` loads (once per process, lazily, with the vocabulary as user words), so the
catalogue index, the search query and the chat read Korean the same way. The NLU needs offsets and tags, which
`rooms.text.morphemes()` drops, hence this thin view over the same instance.
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms.text import _get_kiwi, _tokenize_lock


@dataclass(frozen=True)
class Token:
    form: str
    tag: str
    start: int  # offset in the analysed text
    end: int


def tokens(text: str) -> list[Token]:
    kiwi = _get_kiwi()
    with _tokenize_lock:  # the same lock rooms.text takes: one analyser, one way in
        analysed = kiwi.tokenize(text)
    return [Token(form=t.form, tag=t.tag, start=t.start, end=t.start + t.len) for t in analysed]
