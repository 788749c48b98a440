"""Dates and times in a chat message, read relative to now in Asia/Seoul: a time window to search open slots in.

`when_parse(text, now=...)` reads Korean and English days (오늘, 내일, 모레, 이번 주 토요일, 다음 주 금요일, 주말,
12월 5일, 12/5, this Saturday), parts of the day (오전, 오후, 저녁, 밤), clock times (7시, 오후 2시 반, 19:30,
7pm) and ranges (7시 이후, 2시에서 5시 사이, 7시쯤) and gives a `When`: the aware window [start, end) and a chip
label such as "토 12/5 19시 전후". The parts said are kept apart (`day_from/day_to`, `minute_from/minute_to`), so a
later turn that names only a day ("일요일로 바꿔줘") or only a time ("7시 말고 9시") changes that part
(`when_combine`).

How a clock time is read, for escape rooms (sessions run from late morning to late night):
- with a part of the day, that part decides: 오전/아침/새벽 7시 → 07:00, 오후/저녁 7시 → 19:00, 밤 12시 → 24:00;
- bare, 1-9시 is the afternoon or evening (7시 → 19:00) and 10, 11, 12시 the morning and noon; 13-24 and "19:30"
  are already on the 24-hour clock; "am"/"pm" decide in English.
Windows: a time said alone ("7시", "19:30") is ±30 minutes around it; "쯤/경/전후/정도/around/about/-ish" ±60;
"이후/넘어서/after" from it to midnight; "이전/전에/까지/before" from midnight to it; a range (2시에서 5시 사이,
2~5시, between 2 and 5) is itself; a part of the day alone is its span (`PARTS`). A day alone is the whole day;
주말 is Saturday and Sunday. A time without a day is today's, or tomorrow's when today's window has passed.
With several days and a time, the window runs from the first day at the start to the last day at the end.
Of several days or times, the last one said holds ("토요일 말고 일요일", "7시 말고 9시").

Numbers of something else are never times: "4명", "2인", "3만원", "난이도 4", "2-4인", "7시간", "4/5점".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAYS_KO = "월화수목금토일"
AROUND_MINUTES = 60
AT_MINUTES = 30
# Parts of the day: minutes from midnight [from, to).
PARTS: dict[str, tuple[int, int]] = {
    "새벽": (0, 360),
    "아침": (480, 660),
    "오전": (540, 720),
    "점심": (660, 840),
    "낮": (720, 1020),
    "오후": (720, 1080),
    "저녁": (1080, 1320),
    "밤": (1200, 1440),
    "심야": (1320, 1560),
}
_AM_PARTS = ("새벽", "아침", "오전")
_PM_PARTS = ("오후", "저녁", "밤", "심야")
_ENGLISH_PARTS = {
    "morning": "오전",
    "afternoon": "오후",
    "evening": "저녁",
    "night": "밤",
    "tonight": "저녁",
    "lunch": "점심",
}
_NATIVE_HOURS = {
    "열두": 12,
    "열한": 11,
    "열": 10,
    "아홉": 9,
    "여덟": 8,
    "일곱": 7,
    "여섯": 6,
    "다섯": 5,
    "네": 4,
    "세": 3,
    "두": 2,
    "한": 1,
}
_EN_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
_EN_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}


class When(BaseModel):
    """A time window asked for, and the parts of it that were said (so a later turn can change one part)."""

    model_config = ConfigDict(extra="ignore")

    start: datetime
    end: datetime
    label: str
    day_from: date | None = None  # the days said (inclusive); None: no day was said
    day_to: date | None = None
    minute_from: int | None = None  # the time of day said, minutes from midnight [from, to); None: no time said
    minute_to: int | None = None
    time_label: str | None = None  # "19시 전후", "저녁", "14–17시"
    # The day was a bare weekday ("일요일로"): after another day, it is that weekday of the other day's week.
    weekday_only: bool = False

    def state_value(self) -> dict:
        """The JSON form kept in the dialogue state."""
        return self.model_dump(mode="json")


# --- tokens --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    kind: str  # day | part | time
    value: object


def _compact(text: str) -> tuple[str, str]:
    lower = unicodedata.normalize("NFKC", text or "").lower()
    return lower, "".join(lower.split())


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_NATIVE = "|".join(sorted(_NATIVE_HOURS, key=len, reverse=True))
_PART_WORDS = "|".join(sorted(PARTS, key=len, reverse=True))
# A clock: an hour (digits or a native number word) with 시 (never 시간, 시즌 …) and maybe minutes, or HH:MM.
_HOUR_KO = rf"(\d{{1,2}}|{_NATIVE})시(?!간|즌|리즈|적|작|도해|험|켜|키|청|장|내|설|민|대|절)(?:(반)|(\d{{1,2}})분)?"
_HHMM = r"(?<![\d:.])(\d{1,2}):([0-5]\d)(?![\d:])"
_AROUND_KO = r"(?:쯤|경|전후|정도|언저리|즈음|무렵|근처|께)"
_AFTER_KO = r"(?:이후|넘어서|넘어|넘고|지나서|부터|후|以後)"
_BEFORE_KO = r"(?:이전|전까지|전에|전|까지)"
_RANGE_JOIN = r"(?:에서|부터|~|-|–|〜)"
_EITHER_JOIN = r"(?:이나|나|아니면|또는)"


def _hour_value(word: str) -> int:
    return int(word) if word.isdigit() else _NATIVE_HOURS[word]


def clock_minutes(
    hour: int, minute: int, part: str | None, *, meridiem: str | None = None, literal: bool = False
) -> int:
    """Minutes from midnight of a clock time as escape-room players mean it (see the module docstring)."""
    if meridiem == "am":
        hour = hour % 12
    elif meridiem == "pm":
        hour = hour % 12 + 12
    elif hour >= 13 or hour == 0 or literal:
        pass
    elif part in _AM_PARTS:
        hour = hour % 12
    elif part in _PM_PARTS:
        hour = hour % 12 + 12
        if part in ("밤", "심야") and hour <= 16:
            hour += 12  # 밤 1시: one in the morning after that night
    elif part in ("점심", "낮"):
        hour = hour + 12 if hour <= 6 else hour
    elif 1 <= hour <= 9:
        hour += 12
    return hour * 60 + minute


def _clock_label(minutes: int) -> str:
    hour, minute = divmod(minutes, 60)
    if hour > 24 or (hour == 24 and minute):
        hour -= 24  # 밤 1시: the small hours after that day
        return f"새벽 {hour}시" if minute == 0 else f"새벽 {hour}:{minute:02d}"
    return f"{hour}시" if minute == 0 else f"{hour}:{minute:02d}"


def _time_value(kind: str, first: int, second: int | None = None) -> tuple[int, int, str]:
    """(minute_from, minute_to, label) of a time expression."""
    if kind == "at":
        return first - AT_MINUTES, first + AT_MINUTES, _clock_label(first)
    if kind == "around":
        return first - AROUND_MINUTES, first + AROUND_MINUTES, f"{_clock_label(first)} 전후"
    if kind == "after":
        return first, 1440 if first < 1440 else first + 180, f"{_clock_label(first)} 이후"
    if kind == "before":
        return 0, first, f"{_clock_label(first)} 이전"
    if kind == "either":
        return first - AT_MINUTES, second + AT_MINUTES, f"{_clock_label(first)}·{_clock_label(second)}"
    # range
    if first % 60 == 0 and second % 60 == 0:
        label = f"{first // 60}–{second // 60}시"
    else:
        label = f"{_clock_label(first)}–{_clock_label(second)}"
    return first, second, label


def _second_after(first: int, hour: int, minute: int, part: str | None, literal: bool) -> int:
    """The end of a range: said with a part, it is read as said; otherwise the first reading after the start."""
    if part or literal or hour >= 13:
        return clock_minutes(hour, minute, part, literal=literal)
    for candidate in (hour * 60 + minute, (hour + 12) * 60 + minute, (hour + 24) * 60 + minute):
        if candidate > first:
            return candidate
    return first + 60


def _part_before(compact: str, start: int, parts: list[_Token]) -> str | None:
    """The part of the day said right before a clock ("저녁 7시", "저녁에 7시쯤"), or earlier in the message."""
    before = [token for token in parts if token.end <= start]
    if not before:
        return None
    last = before[-1]
    gap = compact[last.end : start]
    if len(gap) <= 12 and not re.search(r"\d|시", gap):
        return last.value
    return None


def _korean_times(compact: str, parts: list[_Token], taken: list[tuple[int, int]]) -> list[_Token]:
    tokens: list[_Token] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def hour_ok(match: re.Match, group: int) -> bool:
        word = match.group(group)
        start = match.start(group)
        # A day or part word may end right before it ("12/5 7시" is "12/57시" once compact, "토요일세시").
        ends = {end for _, end in taken} | {part.end for part in parts}
        if start in ends:
            return not word.isdigit() or 0 <= int(word) <= 24
        if start > 0 and compact[start - 1].isdigit():
            return False
        if word.isdigit():
            return 0 <= int(word) <= 24 and not (start > 0 and compact[start - 1] in "/.:~-")
        # A native number word starts a word of its own ("세 시").
        return start == 0 or not _HANGUL.match(compact[start - 1])

    def clock(match: re.Match, hour_group: int, half_group: int, minute_group: int, part: str | None) -> int:
        minute = 30 if match.group(half_group) else int(match.group(minute_group) or 0)
        hour = _hour_value(match.group(hour_group))
        return clock_minutes(hour, min(minute, 59), part)

    pre = rf"(?:({_PART_WORDS})(?:에|에는)?)?"
    # Ranges first: 2시에서 5시 사이, 오후 2~5시, 2시부터 5시까지, 7시나 8시.
    range_pattern = re.compile(
        pre
        + rf"(\d{{1,2}}|{_NATIVE})(?:시(?:(반)|(\d{{1,2}})분)?)?"
        + rf"({_RANGE_JOIN}|{_EITHER_JOIN})"
        + pre
        + _HOUR_KO
        + r"(?:사이|까지|사이에|사이로)?"
        + rf"(?:{_AROUND_KO})?"
    )
    for match in _every(range_pattern, compact):
        join = match.group(5)
        has_first_si = compact[match.start(2) : match.end(2) + 1].endswith("시")
        if not has_first_si and join not in ("~", "-", "–", "〜"):
            continue
        if not hour_ok(match, 2) or not free(match.start(), match.end()):
            continue
        if join in ("-", "–") and not has_first_si and re.match(r"\d+:", compact[match.start(2) :]):
            continue
        part1 = match.group(1) or _part_before(compact, match.start(), parts)
        part2 = match.group(6)
        first = clock(match, 2, 3, 4, part1)
        minute2 = 30 if match.group(8) else int(match.group(9) or 0)
        second = _second_after(first, _hour_value(match.group(7)), minute2, part2, False)
        if second <= first:
            continue
        kind = "either" if re.fullmatch(_EITHER_JOIN, join) else "range"
        tokens.append(_Token(match.start(), match.end(), "time", _time_value(kind, first, second)))
        taken.append((match.start(), match.end()))

    single = re.compile(pre + _HOUR_KO + rf"(?:에)?({_AROUND_KO}|{_AFTER_KO}|{_BEFORE_KO})?")
    for match in _every(single, compact):
        if not hour_ok(match, 2) or not free(match.start(), match.end()):
            continue
        part = match.group(1) or _part_before(compact, match.start(), parts)
        minutes = clock(match, 2, 3, 4, part)
        tokens.append(_Token(match.start(), match.end(), "time", _time_value(_modifier(match.group(5)), minutes)))
        taken.append((match.start(), match.end()))

    hhmm = re.compile(pre + _HHMM + rf"({_AROUND_KO}|{_AFTER_KO}|{_BEFORE_KO})?")
    for match in _every(hhmm, compact):
        if not free(match.start(), match.end()) or int(match.group(2)) > 24:
            continue
        part = match.group(1) or _part_before(compact, match.start(), parts)
        hour = int(match.group(2))
        literal = match.group(2).startswith("0") or hour >= 13
        minutes = clock_minutes(hour, int(match.group(3)), part, literal=literal)
        tokens.append(_Token(match.start(), match.end(), "time", _time_value(_modifier(match.group(4)), minutes)))
        taken.append((match.start(), match.end()))
    return tokens


def _every(pattern: re.Pattern, text: str):
    """A match at every position, overlapping ones too: "12/57시" has no hour 57 but has a 7시 after the date."""
    for position in range(len(text)):
        match = pattern.match(text, position)
        if match:
            yield match


def _modifier(word: str | None) -> str:
    if not word:
        return "at"
    if re.fullmatch(_AROUND_KO, word):
        return "around"
    if re.fullmatch(_BEFORE_KO, word):
        return "before"
    return "after"


# --- days ----------------------------------------------------------------------------------------------------


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _weekday_date(today: date, weekday: int, week: str | None) -> date:
    """이번 주 X: that day of this week, or of next week when it has passed; 다음 주 X: next week's; bare X: the
    next one (today included)."""
    if week == "next":
        return _monday(today) + timedelta(days=7 + weekday)
    if week == "after_next":
        return _monday(today) + timedelta(days=14 + weekday)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _weekend(today: date, week: str | None) -> tuple[date, date]:
    saturday = _monday(today) + timedelta(days=5 + (7 if week == "next" else 14 if week == "after_next" else 0))
    return saturday, saturday + timedelta(days=1)


def _month_day(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


_WEEK_KO = r"(이번주|이번|금주|요번주|다음주|담주|다음|다다음주|차주)?"


def _word_start(lower: str, compact: str, start: int, compact_of) -> bool:
    """Whether the compact offset `start` begins a word in the spaced text (start of text, or after a space or a
    sign)."""
    if start == 0:
        return True
    for position in range(len(lower)):
        if compact_of(position) == start and not lower[position].isspace():
            previous = lower[position - 1] if position else " "
            return not (_HANGUL.match(previous) or previous.isalnum())
    return True


def _week_of(word: str | None) -> str | None:
    if not word:
        return None
    if word.startswith("다다음"):
        return "after_next"
    if word in ("다음주", "담주", "다음", "차주"):
        return "next"
    return "this"


def _korean_days(lower: str, compact: str, compact_of, today: date, taken: list[tuple[int, int]]) -> list[_Token]:
    tokens: list[_Token] = []

    def add(start: int, end: int, days: tuple[date, date], kind: str = "day") -> None:
        if all(end <= a or start >= b for a, b in taken):
            tokens.append(_Token(start, end, kind, days))
            taken.append((start, end))

    relative = (
        ("내일모레", 2),
        ("내일", 1),
        ("낼", 1),
        ("모레", 2),
        ("글피", 3),
        ("오늘", 0),
        ("금일", 0),
        ("당일", 0),
    )
    for word, offset in relative:
        for match in re.finditer(word + r"(?!리)", compact):
            if word == "낼" and not _word_start(lower, compact, match.start(), compact_of):
                continue  # "보낼", "해낼": a verb, not 내일
            day = today + timedelta(days=offset)
            add(match.start(), match.end(), (day, day))
    for match in re.finditer(r"(?<!\d)(\d{1,2})월(\d{1,2})일", compact):
        day = _month_day(today, int(match.group(1)), int(match.group(2)))
        if day:
            add(match.start(), match.end(), (day, day), "date")
    # 12/5 is read on the spaced text: "12/5 7시" is a date and a time, not 12/57.
    for match in re.finditer(r"(?<![\d/.:~\-])(\d{1,2})/(\d{1,2})(?![\d/]|\s*(?:인|명|점|사람|개))", lower):
        start, end = compact_of(match.start()), compact_of(match.end())
        before = compact[max(0, start - 4) : start]
        if any(word in before for word in ("난이도", "공포도", "활동성", "평점", "별점", "점수")):
            continue
        day = _month_day(today, int(match.group(1)), int(match.group(2)))
        if day:
            add(start, end, (day, day), "date")
    for match in re.finditer(_WEEK_KO + r"주말", compact):
        add(match.start(), match.end(), _weekend(today, _week_of(match.group(1))))
    for match in re.finditer(_WEEK_KO + rf"([{WEEKDAYS_KO}])(?:요일|욜)", compact):
        day = _weekday_date(today, WEEKDAYS_KO.index(match.group(2)), _week_of(match.group(1)))
        add(match.start(), match.end(), (day, day), "day" if match.group(1) else "weekday")
    # "다음 주 금" / "이번 주 토": a week word makes a lone weekday letter a day.
    for match in re.finditer(rf"(이번주|금주|다음주|담주|다다음주)([{WEEKDAYS_KO}])(?![가-힣])", compact):
        day = _weekday_date(today, WEEKDAYS_KO.index(match.group(2)), _week_of(match.group(1)))
        add(match.start(), match.end(), (day, day))
    for match in re.finditer(r"(\d{1,2})일(?:뒤|후)", compact):
        day = today + timedelta(days=int(match.group(1)))
        add(match.start(), match.end(), (day, day))
    return tokens


# --- English -------------------------------------------------------------------------------------------------

_EN_WEEKDAY_WORDS = "|".join(sorted(_EN_WEEKDAYS, key=len, reverse=True))
_EN_MONTH_WORDS = r"(jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)[a-z]*\.?"
_EN_CLOCK = r"(\d{1,2})(?::([0-5]\d))?\s*(am|pm|a\.m\.|p\.m\.)?"


def _english(lower: str, compact_of, today: date) -> list[_Token]:
    tokens: list[_Token] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match, kind: str, value) -> None:
        if all(match.end() <= a or match.start() >= b for a, b in taken):
            taken.append((match.start(), match.end()))
            tokens.append(_Token(compact_of(match.start()), compact_of(match.end()), kind, value))

    for match in re.finditer(r"\b(?:the\s+)?day after tomorrow\b", lower):
        day = today + timedelta(days=2)
        add(match, "day", (day, day))
    for match in re.finditer(r"\b(today|tomorrow|tmrw|tonight)\b", lower):
        day = today + timedelta(days=0 if match.group(1) in ("today", "tonight") else 1)
        add(match, "day", (day, day))
        if match.group(1) == "tonight":
            tokens.append(_Token(compact_of(match.start()), compact_of(match.end()), "part", "저녁"))
    for match in re.finditer(r"\b(?:(this|next)\s+)?weekend\b", lower):
        add(match, "day", _weekend(today, "next" if match.group(1) == "next" else None))
    for match in re.finditer(rf"\b(?:(this|next|coming)\s+)?({_EN_WEEKDAY_WORDS})\b", lower):
        # Short forms only where they cannot be ordinary words ("sun", "wed"): next to a time or a date.
        short = match.group(2) in ("sat", "sun", "wed", "mon") and not match.group(1)
        if short and not re.search(r"\d", lower[match.end() : match.end() + 6]):
            continue
        week = {"next": "next", "this": "this", "coming": None}.get(match.group(1) or "")
        day = _weekday_date(today, _EN_WEEKDAYS[match.group(2)], week)
        add(match, "day" if match.group(1) else "weekday", (day, day))
    for match in re.finditer(rf"\b{_EN_MONTH_WORDS}\s*(\d{{1,2}})(?:st|nd|rd|th)?\b", lower):
        day = _month_day(today, _EN_MONTHS[match.group(1)], int(match.group(2)))
        if day:
            add(match, "date", (day, day))
    for match in re.finditer(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_EN_MONTH_WORDS}(?![a-z])", lower):
        day = _month_day(today, _EN_MONTHS[match.group(2)], int(match.group(1)))
        if day:
            add(match, "date", (day, day))

    def minutes(hour: str, minute: str | None, meridiem: str | None, part: str | None) -> int | None:
        value = int(hour)
        if value > 24 or (meridiem and value > 12):
            return None
        mer = None if not meridiem else ("am" if meridiem.startswith("a") else "pm")
        return clock_minutes(value, int(minute or 0), part, meridiem=mer, literal=value >= 13)

    part_words = "|".join(_ENGLISH_PARTS)
    parts = [(match.start(), _ENGLISH_PARTS[match.group(1)]) for match in re.finditer(rf"\b({part_words})\b", lower)]

    def part_near(position: int) -> str | None:
        near = [part for start, part in parts if abs(start - position) <= 20]
        return near[-1] if near else None

    ranges = rf"\b(?:between|from)\s+{_EN_CLOCK}\s+(?:and|to|-)\s+{_EN_CLOCK}(?![\d:])"
    dash = rf"(?<![\d:/])(\d{{1,2}})(?::([0-5]\d))?\s*(am|pm)?\s*(?:-|–|~|to)\s*{_EN_CLOCK}(?![\d:/])"
    for pattern in (ranges, dash):
        for match in re.finditer(pattern, lower):
            if pattern is dash and not (match.group(3) or match.group(6)):
                continue  # "2-4" is a party size, "2-5pm" a time
            part = part_near(match.start())
            meridiem_two = match.group(6)
            first = minutes(match.group(1), match.group(2), match.group(3) or meridiem_two, part)
            if first is None:
                continue
            if meridiem_two:
                second = minutes(match.group(4), match.group(5), meridiem_two, part)
            else:
                second = _second_after(first, int(match.group(4)), int(match.group(5) or 0), None, False)
            if second is None or second <= first:
                continue
            add(match, "time", _time_value("range", first, second))
    modifiers = (
        ("around", rf"\b(?:around|about|at around|at about|approximately|approx\.?|roughly|~)\s*{_EN_CLOCK}(?![\d:])"),
        ("after", rf"\b(?:after|from|later than)\s+{_EN_CLOCK}(?![\d:])(?!\s*(?:people|persons|players|won|krw|k\b))"),
        ("before", rf"\b(?:before|by|until|till|no later than)\s+{_EN_CLOCK}(?![\d:])(?!\s*(?:people|won|krw))"),
        ("at", rf"\bat\s+{_EN_CLOCK}(?![\d:])(?!\s*(?:people|persons|players|won|krw|k\b))"),
        ("around", r"(?<![\d:])(\d{1,2})(?::([0-5]\d))?\s*(am|pm)?\s*-?ish\b()"),
        ("at", r"(?<![\d:/.])(\d{1,2})(?::([0-5]\d))?\s*(am|pm|a\.m\.|p\.m\.|o'?clock)"),
        ("at", r"(?<![\d:/.])(\d{1,2}):([0-5]\d)()(?![\d:])"),
    )
    for kind, pattern in modifiers:
        for match in re.finditer(pattern, lower):
            meridiem = match.group(3) if match.group(3) and "clock" not in match.group(3) else None
            value = minutes(match.group(1), match.group(2), meridiem, part_near(match.start()))
            if value is None:
                continue
            bare = kind == "at" and not meridiem and not match.group(2) and "clock" not in (match.group(3) or "")
            if bare and not match.group(0).startswith("at"):
                continue
            add(match, "time", _time_value(kind, value))
    for start, part in parts:
        match = re.compile(r"\w+").match(lower, start)
        if match and all(match.end() <= a or match.start() >= b for a, b in taken):
            tokens.append(_Token(compact_of(match.start()), compact_of(match.end()), "part", part))
    return tokens


# --- the window ----------------------------------------------------------------------------------------------


def when_build(
    *,
    day_from: date | None,
    day_to: date | None,
    minute_from: int | None,
    minute_to: int | None,
    time_label: str | None,
    now: datetime,
) -> When | None:
    """The window of the parts said; a time without a day is today's, or tomorrow's once today's has passed."""
    if day_from is None and minute_from is None:
        return None
    local_now = now.astimezone(SEOUL)
    first, last = day_from, day_to or day_from
    if first is None:
        first = local_now.date()
        if _at(first, minute_to) <= local_now:
            first += timedelta(days=1)
        last = first
    start = _at(first, minute_from if minute_from is not None else 0)
    end = _at(last, minute_to if minute_to is not None else 1440)
    return When(
        start=start,
        end=end,
        label=_label(first, last, time_label),
        day_from=day_from,
        day_to=day_to,
        minute_from=minute_from,
        minute_to=minute_to,
        time_label=time_label,
    )


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SEOUL) + timedelta(minutes=minutes)


def _day_label(day: date) -> str:
    return f"{WEEKDAYS_KO[day.weekday()]} {day.month}/{day.day}"


def _label(first: date, last: date, time_label: str | None) -> str:
    if first == last:
        days = _day_label(first)
    elif first.weekday() == 5 and last == first + timedelta(days=1):
        days = f"주말 {first.month}/{first.day}–{last.month}/{last.day}"
    else:
        days = f"{_day_label(first)}–{_day_label(last)}"
    return f"{days} {time_label}" if time_label else days


def when_parse(text: str, *, now: datetime | None = None) -> When | None:
    """The time window a message asks for, or None when it names no day or time."""
    if now is None:
        from django.utils import timezone

        now = timezone.now()
    today = now.astimezone(SEOUL).date()
    tokens = when_tokens(text, today=today)
    days = [token for token in tokens if token.kind in ("day", "date", "weekday")]
    times = [token for token in tokens if token.kind == "time"]
    parts = [token for token in tokens if token.kind == "part"]
    day_from = day_to = None
    if days:
        day_from, day_to = days[-1].value
        if len(days) >= 2:
            _, compact = _compact(text)
            gap = compact[days[-2].end : days[-1].start]
            if days[-2].kind == "date" and re.fullmatch(r"(?:은|,|\()?", gap):
                day_from, day_to = days[-2].value  # "12월 19일 토요일": the date, whatever weekday is said with it
            elif re.fullmatch(r"(?:이나|나|아니면|또는|or|~|-|부터|에서|이랑|랑|하고|,)?", gap) and gap:
                spans = [days[-2].value, days[-1].value]
                day_from = min(span[0] for span in spans)
                day_to = max(span[1] for span in spans)
    minute_from = minute_to = time_label = None
    if times:
        minute_from, minute_to, time_label = times[-1].value
    elif parts:
        name = parts[-1].value
        minute_from, minute_to = PARTS[name]
        time_label = name
    when = when_build(
        day_from=day_from,
        day_to=day_to,
        minute_from=minute_from,
        minute_to=minute_to,
        time_label=time_label,
        now=now,
    )
    if when is not None and days and days[-1].kind == "weekday" and (day_from, day_to) == days[-1].value:
        when = when.model_copy(update={"weekday_only": True})
    return when


def when_tokens(text: str, *, today: date) -> list[_Token]:
    """Every day, part-of-day and time expression, with its span in the compact text (no whitespace, lower case)."""
    lower, compact = _compact(text)
    offsets = [index for index, char in enumerate(lower) if not char.isspace()]

    def compact_of(position: int) -> int:
        # original position → compact index (the next non-space character's)
        low, high = 0, len(offsets)
        while low < high:
            middle = (low + high) // 2
            if offsets[middle] < position:
                low = middle + 1
            else:
                high = middle
        return low

    taken: list[tuple[int, int]] = []
    tokens = _korean_days(lower, compact, compact_of, today, taken)
    parts: list[_Token] = []
    for match in re.finditer(rf"({_PART_WORDS})", compact):
        word = match.group(1)
        if word == "밤" and re.match(r"밤(?:탈출|새|샘|샐|늦게까지)", compact[match.start() :]):
            continue
        if word == "낮" and re.match(r"낮[은게아추]", compact[match.start() :]):
            continue  # 난이도가 낮은
        if word == "아침" and match.start() > 0 and compact[match.start() - 1] == "일":
            continue
        if any(a <= match.start() < b for a, b in taken):
            continue
        parts.append(_Token(match.start(), match.end(), "part", word))
    ko_times = _korean_times(compact, parts, taken)
    tokens += ko_times
    # A part of the day that a clock used is the clock's.
    for token in parts:
        if not any(t.start <= token.start < t.end for t in ko_times):
            tokens.append(token)
    if re.search(r"[a-z]{3}", lower):
        english = _english(lower, compact_of, today)
        covered = [(t.start, t.end) for t in tokens]
        tokens += [t for t in english if all(t.end <= a or t.start >= b for a, b in covered)]
    return sorted(tokens, key=lambda token: token.start)


def when_spans(text: str, *, today: date) -> list[tuple[int, int, str]]:
    """The compact spans of date and time words, which the rest of the NLU must not read as something else, with
    their kind (day, date, weekday, part, time)."""
    return [(token.start, token.end, token.kind) for token in when_tokens(text, today=today)]


def when_combine(previous: When | dict | None, new: When, *, now: datetime) -> When:
    """A new window said in a later turn: the parts it names replace the old ones, the parts it leaves out stay
    ("토 저녁 7시쯤" then "일요일로" → Sunday around 19:00; then "9시로" → Sunday 21:00)."""
    if previous is None:
        return new
    old = previous if isinstance(previous, When) else When.model_validate(previous)
    day_said = new.day_from is not None
    time_said = new.minute_from is not None
    day_from, day_to = (new.day_from, new.day_to) if day_said else (old.day_from, old.day_to)
    if new.weekday_only and old.day_from is not None and old.day_from == (old.day_to or old.day_from):
        # "다음 주 토요일" then "아 그날 말고 일요일": the Sunday of that week, not the coming one.
        same_week = _monday(old.day_from) + timedelta(days=new.day_from.weekday())
        if same_week >= now.astimezone(SEOUL).date():
            day_from = day_to = same_week
    return (
        when_build(
            day_from=day_from,
            day_to=day_to,
            minute_from=new.minute_from if time_said else old.minute_from,
            minute_to=new.minute_to if time_said else old.minute_to,
            time_label=new.time_label if time_said else old.time_label,
            now=now,
        )
        or new
    )


def when_of(value) -> When | None:
    """A window kept in the dialogue state (a dict) or given as a `When`."""
    if value in (None, "", {}):
        return None
    return value if isinstance(value, When) else When.model_validate(value)


def when_english(when: When) -> str:
    """The window in English for an English reply ("Sat 12/5 19:00 ±1h")."""
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    start = when.start.astimezone(SEOUL)
    end = when.end.astimezone(SEOUL)
    day = f"{names[start.weekday()]} {start.month}/{start.day}"
    if when.minute_from is None:
        if end - start > timedelta(days=1):
            last = end - timedelta(minutes=1)
            return f"{day}–{names[last.weekday()]} {last.month}/{last.day}"
        return day
    return f"{day} {start:%H:%M}–{end:%H:%M}"


def when_from_bounds(start: datetime | None, end: datetime | None, *, now: datetime, horizon_days: int = 60) -> When:
    """A window given as explicit bounds (`available_from`/`available_to` of the API or the socket), already
    checked by `rooms.services.slot_window_parse`: no start is now, no end is the horizon."""
    start = (start or now).astimezone(SEOUL)
    end = (end or start + timedelta(days=horizon_days)).astimezone(SEOUL)
    last = (end - timedelta(microseconds=1)).date()
    minute_from = start.hour * 60 + start.minute
    minute_to = int((end - datetime.combine(last, time(0), tzinfo=SEOUL)).total_seconds() // 60)
    whole_days = minute_from == 0 and minute_to == 1440
    time_label = None if whole_days else f"{start:%H:%M}–{end:%H:%M}"
    when = when_build(
        day_from=start.date(),
        day_to=last,
        minute_from=None if whole_days else minute_from,
        minute_to=None if whole_days else minute_to,
        time_label=time_label,
        now=now,
    )
    # The bounds as given, to the second (a multi-day window with times is not "each day at those times").
    return when.model_copy(update={"start": start, "end": end})
