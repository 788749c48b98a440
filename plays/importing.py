"""Reading a personal play log from CSV: `room name, store name, played_on, escaped, hints`, one play a line.

Every line is read and matched before anything is stored; a file with any line that cannot be read or matched
raises `PlaysImportInvalid` listing each such line by its number, and nothing is imported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from plays.models import HINTS_MAX
from rooms.models import Room
from rooms.selectors.rooms import room_find_by_names

MAX_CSV_CHARS = 200_000
MAX_ROWS = 1000
# A name at or above this similarity is the room meant (chat's name lookup uses the same bar) ...
NAME_FOUND_SCORE = 0.5
# ... at a store whose name is at least this close, when the line names a store ...
STORE_FOUND_SCORE = 0.3
# ... and no other room comes within this much of it (two stores with rooms of the same name).
AMBIGUITY_MARGIN = 0.05

HEADER_WORDS = {"room", "roomname", "room_name", "테마", "테마명", "테마이름", "이름", "store", "업체", "매장"}
_TRUE = {"true", "t", "1", "y", "yes", "o", "ㅇ", "성공", "탈출", "탈출성공", "escaped", "clear", "클리어"}
_FALSE = {"false", "f", "0", "n", "no", "x", "ㄴ", "실패", "탈출실패", "failed", "fail"}
_DATE = re.compile(r"^\s*(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*[.일]?\s*$")


@dataclass(frozen=True)
class ImportRow:
    line: int
    room: Room
    played_on: date
    escaped: bool
    hints_used: int


@dataclass
class ImportProblem:
    line: int
    message: str
    room_name: str = ""
    store_name: str = ""
    suggestions: list[str] = field(default_factory=list)
    unmatched: bool = False  # the line was read, but no room matched it (or several did)


class PlaysImportInvalid(Exception):
    """A file that cannot be imported: a summary, and each bad line with why (the API answers 400 with them)."""

    def __init__(self, problems: list[ImportProblem], *, message: str | None = None):
        self.problems = problems
        unmatched = sum(1 for problem in problems if problem.unmatched)
        if message is None:
            message = f"{len(problems)}개 줄을 가져올 수 없어서 아무것도 가져오지 않았어요"
            message += f" (테마를 찾지 못한 줄 {unmatched}개)." if unmatched else "."
            message += " 고쳐서 다시 올려 주세요."
        self.message = message
        super().__init__(message)

    def errors(self) -> dict[str, list[str]]:
        """Field-style errors of the shared error shape: the file, then each line ("3번째 줄")."""
        errors = {"csv": [self.message]}
        for problem in self.problems:
            errors.setdefault(f"{problem.line}번째 줄", []).append(problem.message)
        return errors


def _date(raw: str) -> date | None:
    match = _DATE.match(raw or "")
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _escaped(raw: str) -> bool | None:
    word = "".join((raw or "").split()).lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def _hints(raw: str) -> int | None:
    word = "".join((raw or "").split()).lower()
    if word in ("", "노힌트", "nohint", "-"):
        return 0
    word = word.removesuffix("개")
    if re.fullmatch(r"-?\d{1,3}", word):
        return int(word)
    return None


def _is_header(cells: list[str]) -> bool:
    words = {"".join(cell.split()).lower() for cell in cells}
    return bool(words & HEADER_WORDS) and (len(cells) < 3 or _date(cells[2]) is None)


def plays_csv_rows(*, text: str) -> tuple[list[tuple[int, list[str]]], list[ImportProblem]]:
    """(line number, cells) of each non-empty line after an optional header, and lines that are not CSV."""
    if not isinstance(text, str) or not text.strip():
        raise PlaysImportInvalid(
            [],
            message="CSV 내용이 비어 있어요. 한 줄에 '테마 이름, 업체 이름, 날짜, 탈출 여부, 힌트 수'를 적어 주세요.",
        )
    if len(text) > MAX_CSV_CHARS:
        raise PlaysImportInvalid([], message=f"CSV가 너무 커요 ({MAX_CSV_CHARS:,}자 이하로 나눠서 올려 주세요).")
    if "\x00" in text:
        raise PlaysImportInvalid([], message="CSV에 읽을 수 없는 문자(NUL)가 있어요.")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), skipinitialspace=True)
    rows: list[tuple[int, list[str]]] = []
    problems: list[ImportProblem] = []
    first = True
    try:
        for cells in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if first and _is_header(cells):
                first = False
                continue
            first = False
            rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                raise PlaysImportInvalid(
                    [], message=f"한 번에 {MAX_ROWS:,}줄까지 가져올 수 있어요. 나눠서 올려 주세요."
                )
    except csv.Error as exc:
        problems.append(ImportProblem(line=reader.line_num, message=f"CSV 형식이 올바르지 않아요 ({exc})."))
    if not rows and not problems:
        raise PlaysImportInvalid(
            [], message="가져올 줄이 없어요. 한 줄에 '테마 이름, 업체 이름, 날짜, 탈출 여부, 힌트 수'를 적어 주세요."
        )
    return rows, problems


def _row_read(line: int, cells: list[str]) -> tuple[dict | None, ImportProblem | None]:
    if len(cells) < 4:
        return None, ImportProblem(
            line=line, message="열이 모자라요: 테마 이름, 업체 이름, 날짜, 탈출 여부(, 힌트 수) 순서로 적어 주세요."
        )
    if len(cells) > 5:
        return None, ImportProblem(
            line=line, message=f"열이 너무 많아요 ({len(cells)}개). 이름에 쉼표가 있으면 따옴표로 감싸 주세요."
        )
    room_name, store_name, raw_date, raw_escaped = cells[:4]
    raw_hints = cells[4] if len(cells) == 5 else ""
    messages = []
    if not room_name:
        messages.append("테마 이름이 비어 있어요.")
    played_on = _date(raw_date)
    if played_on is None:
        messages.append(f"날짜 '{raw_date[:20]}'를 읽을 수 없어요 (예: 2025-03-14).")
    elif played_on > timezone.localdate():
        messages.append(f"날짜 {played_on.isoformat()}는 오늘 이후예요.")
    escaped = _escaped(raw_escaped)
    if escaped is None:
        messages.append(f"탈출 여부 '{raw_escaped[:20]}'를 읽을 수 없어요 (성공/실패, true/false, O/X).")
    hints = _hints(raw_hints)
    if hints is None:
        messages.append(f"힌트 수 '{raw_hints[:20]}'를 읽을 수 없어요 (0 이상의 숫자).")
    elif not 0 <= hints <= HINTS_MAX:
        messages.append(f"힌트 수는 0~{HINTS_MAX} 사이여야 해요.")
    if messages:
        return None, ImportProblem(line=line, message=" ".join(messages), room_name=room_name, store_name=store_name)
    return {
        "room_name": room_name,
        "store_name": store_name,
        "played_on": played_on,
        "escaped": escaped,
        "hints_used": hints,
    }, None


def _room_label(room: Room) -> str:
    return f"{room.name} ({room.store.name})"


def _match(line: int, room_name: str, store_name: str) -> tuple[Room | None, ImportProblem | None]:
    candidates = room_find_by_names(name=room_name, store_name=store_name, limit=5, include_inactive=True)
    found = [
        (room, name_score, store_score)
        for room, name_score, store_score in candidates
        if name_score >= NAME_FOUND_SCORE and (store_score is None or store_score >= STORE_FOUND_SCORE)
    ]
    where = f"'{room_name}'" + (f" ({store_name})" if store_name else "")
    if not found:
        return None, ImportProblem(
            line=line,
            message=f"{where}에 맞는 테마를 찾지 못했어요.",
            room_name=room_name,
            store_name=store_name,
            suggestions=[_room_label(room) for room, _, _ in candidates[:3]],
            unmatched=True,
        )

    def combined(item) -> float:
        _, name_score, store_score = item
        return name_score if store_score is None else 0.6 * name_score + 0.4 * store_score

    best = found[0]
    rivals = [item for item in found[1:] if combined(item) >= combined(best) - AMBIGUITY_MARGIN]
    if rivals:
        labels = ", ".join(_room_label(room) for room, _, _ in [best, *rivals][:3])
        return None, ImportProblem(
            line=line,
            message=f"{where}와 비슷한 테마가 여러 곳에 있어요: {labels}. 업체 이름을 정확히 적어 주세요.",
            room_name=room_name,
            store_name=store_name,
            suggestions=[_room_label(room) for room, _, _ in [best, *rivals][:3]],
            unmatched=True,
        )
    return best[0], None


def plays_csv_resolve(*, text: str) -> list[ImportRow]:
    """Every line read and matched to a room, or `PlaysImportInvalid` listing each line that was not.

    The same room twice in a file is one play (one record per room): the later date wins.
    """
    rows, problems = plays_csv_rows(text=text)
    resolved: dict[int, ImportRow] = {}
    for line, cells in rows:
        values, problem = _row_read(line, cells)
        if problem is None:
            room, problem = _match(line, values.pop("room_name"), values.pop("store_name"))
        if problem is not None:
            problems.append(problem)
            continue
        row = ImportRow(line=line, room=room, **values)
        previous = resolved.get(room.id)
        if previous is None or row.played_on >= previous.played_on:
            resolved[room.id] = row
    if problems:
        raise PlaysImportInvalid(sorted(problems, key=lambda problem: problem.line))
    return sorted(resolved.values(), key=lambda row: row.line)
