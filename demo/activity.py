"""Deterministic demo history over the demo catalogue, so the models have something real to learn.

Users have hidden tastes (home regions, genre affinities, difficulty, fear tolerance, party size,
how active they are). Over 24 months they search, chat, get recommendations, click, like and
dislike, and play rooms (reviews). Demand has seasons (공포/스릴러 peak in summer, 로맨스/감성 in
winter) and a few genres and regions rise (잠입, SF, 성수) or fall (코믹, 역사, 신촌). A session
ends well more often when its recommendations fit the user's hidden taste, found rooms at all,
and answered fast, with recent turns weighing more than early ones.

Everything is written through the same tables real activity uses; events are validated and
stored by analytics (`event_document` + `events_insert`), so its rollups stay right, and reviews
go through `reviews_bulk_create`, so a room's rating and review count are those of its reviews.
Each room has a hidden quality (`demo.catalog.room_quality`): better rooms are chosen more often
and rated higher, which is where their ratings come from.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from demo.catalog import room_quality
from plays.models import Party, PartyMember, Play
from rooms.models import Review, Room
from rooms.services import reviews_bulk_create
from rooms.vocabulary import GENRE_NAMES

DEMO_USER_PREFIX = "demo_user_"

GENRE_SEASON = {  # genre -> (peak month, amplitude)
    "공포": (8, 0.6),
    "스릴러": (8, 0.35),
    "모험": (7, 0.25),
    "로맨스": (2, 0.4),
    "감성": (12, 0.35),
    "미스터리": (10, 0.2),
    "추리": (11, 0.15),
}
GENRE_TREND = {"잠입": 0.6, "SF": 0.45, "감성": 0.3, "코믹": -0.5, "역사": -0.45, "드라마": -0.25}
REGION_SEASON = {"부산": (8, 0.45), "대학로": (3, 0.2)}
REGION_TREND = {"성수": 0.6, "강남": 0.2, "신촌": -0.45, "노원": -0.25}
REGION_WEIGHT = {"강남": 3.0, "홍대": 3.0, "건대": 2.0, "신촌": 1.5, "대학로": 1.5, "잠실": 1.5, "성수": 1.2}


@dataclass
class Taste:
    regions: list[str]
    genres: dict[str, float]
    difficulty: float
    fear: float
    party: int
    activity: float


@dataclass
class RoomInfo:
    id: int
    name: str
    genres: list[str]
    region: str
    difficulty: int
    fear: int
    min_players: int
    max_players: int
    activity: int
    # Hidden: how good the room is (demo.catalog.room_quality). Players enjoy better rooms more, so
    # they pick them more often and rate them higher; the room's rating comes from those reviews.
    quality: float


@dataclass
class Plan:
    """Everything to write, built in memory first (ids for messages are filled in on insert)."""

    users: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)
    sessions: list[dict] = field(default_factory=list)
    searches: list[dict] = field(default_factory=list)
    plays: list[dict] = field(default_factory=list)  # every room played: reviewed or not, alone or as a party
    parties: list[dict] = field(default_factory=list)


def _month_start(day: date, offset: int) -> date:
    index = day.year * 12 + day.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def _season(month: int, peak: int, amplitude: float) -> float:
    return 1.0 + amplitude * math.cos(2 * math.pi * (month - peak) / 12)


def genre_multiplier(genre: str, month: int, progress: float) -> float:
    peak, amplitude = GENRE_SEASON.get(genre, (1, 0.05))
    return _season(month, peak, amplitude) * math.exp(GENRE_TREND.get(genre, 0.0) * progress)


def region_multiplier(region: str, month: int, progress: float) -> float:
    peak, amplitude = REGION_SEASON.get(region, (1, 0.05))
    return _season(month, peak, amplitude) * math.exp(REGION_TREND.get(region, 0.0) * progress)


def volume_multiplier(month: int, progress: float) -> float:
    """Holidays and summer vacation are busier; the platform grows over the two years."""
    return (1.25 if month in (1, 7, 8, 12) else 1.0) * math.exp(0.3 * progress)


def _taste(rng: random.Random, regions: list[str]) -> Taste:
    weights = [REGION_WEIGHT.get(r, 1.0) for r in regions]
    home = rng.choices(regions, weights=weights, k=1)
    if rng.random() < 0.4:
        home.append(rng.choices(regions, weights=weights, k=1)[0])
    favourites = rng.sample(GENRE_NAMES, k=rng.choice((1, 2, 2, 3)))
    genres = {g: (1.0 + rng.random() if g in favourites else 0.15 * rng.random()) for g in GENRE_NAMES}
    if rng.random() < 0.35:
        genres["공포"] = 0.0  # many players avoid horror entirely
    return Taste(
        regions=sorted(set(home)),
        genres=genres,
        difficulty=rng.uniform(1.5, 4.8),
        fear=rng.choice((0, 1, 2, 3, 4, 5)),
        party=rng.choice((2, 2, 2, 3, 3, 4, 4, 5, 6)),
        activity=rng.lognormvariate(0.0, 0.6),
    )


def utility(taste: Taste, room: RoomInfo) -> float:
    """How much this user would enjoy this room (hidden from the models)."""
    genre = max(taste.genres.get(g, 0.0) for g in room.genres)
    value = 2.2 * genre + (1.4 if room.region in taste.regions else 0.0)
    value -= 0.5 * abs(room.difficulty - taste.difficulty)
    value -= 0.8 * max(0, room.fear - taste.fear)
    value += 0.5 * room.quality
    if not room.min_players <= taste.party <= room.max_players:
        value -= 0.7
    return value


def _softmax_choice(rng: random.Random, items: list, scores: list[float], temperature: float = 0.6):
    top = max(scores)
    weights = [math.exp((s - top) / temperature) for s in scores]
    return rng.choices(items, weights=weights, k=1)[0]


def _moment(rng: random.Random, month: date, tz, days: int | None = None) -> datetime:
    """A moment in the month, on one of its first `days` days (all of them by default)."""
    days = days or (_month_start(month, 1) - month).days
    return datetime(month.year, month.month, 1, tzinfo=tz) + timedelta(
        days=rng.randrange(days), hours=rng.randint(10, 22), minutes=rng.randrange(60), seconds=rng.randrange(60)
    )


def _user_text(rng: random.Random, intent: str, entities: dict, room_name: str | None) -> str:
    if intent == "room_inquiry" and room_name:
        return rng.choice((f"{room_name} 몇 분이에요?", f"{room_name} 무서워요?", f"{room_name} 난이도 어때요?"))
    if intent == "general_chat":
        return rng.choice(("고마워요", "방탈출 처음인데 괜찮을까요?", "노힌트 가능할까요?", "안녕하세요"))
    parts = []
    if entities.get("region"):
        parts.append(f"{entities['region']}에서")
    if entities.get("players"):
        parts.append(f"{entities['players']}명이")
    if entities.get("genres"):
        parts.append(" ".join(entities["genres"]))
    if entities.get("difficulty") == "easy":
        parts.append("쉬운")
    return " ".join([*parts, rng.choice(("테마 추천해줘", "할 만한 곳 있어요?", "추천 부탁해요"))])


# Review texts: a verdict that matches the stars, then a remark or two about what the player met
# (fear, difficulty, movement, the play itself) and how the game went. Never the story or answers.
_VERDICTS = {
    5: (
        "인생 테마 등극입니다.",
        "정말 재밌게 했어요.",
        "올해 해 본 테마 중 최고였어요.",
        "또 하고 싶을 만큼 만족스러웠어요.",
    ),
    4: ("재밌게 잘 했어요.", "전반적으로 만족스러웠어요.", "시간 가는 줄 몰랐어요.", "추천할 만해요."),
    3: ("무난하게 즐겼어요.", "나쁘지 않았어요.", "평범했지만 할 만했어요.", "호불호가 갈릴 것 같아요."),
    2: ("조금 아쉬웠어요.", "기대에 비해 아쉬움이 남아요.", "다시 하고 싶지는 않아요."),
    1: ("많이 실망했어요.", "추천하기 어렵네요.", "저희 팀과는 정말 안 맞았어요."),
}
_REMARKS_GOOD = (
    "인테리어가 예뻐서 사진 찍고 싶었어요.",
    "장치가 신기해서 계속 감탄했어요.",
    "스토리에 푹 빠져서 했어요.",
    "직원분이 친절하게 안내해 주셨어요.",
    "문제 흐름이 자연스러워서 막힘이 없었어요.",
    "연출이 좋아서 몰입감이 대단했어요.",
)
_REMARKS_MIXED = (
    "인테리어는 괜찮았는데 문제가 평범했어요.",
    "스토리가 조금 약했어요.",
    "중간에 한 번 흐름이 끊겼어요.",
    "문제 난이도는 적당했어요.",
)
_REMARKS_BAD = (
    "장치가 제대로 작동하지 않아서 흐름이 끊겼어요.",
    "관리 상태가 아쉬웠어요.",
    "힌트 안내가 불친절했어요.",
    "문제 연결이 억지스러웠어요.",
)


# Spoilers some players write anyway (the room page hides them behind a click; summaries leave them out). The
# detector catches the first ones; the last ones only their author can tell, and flags.
_SPOILERS_DETECTED = (
    "범인은 처음에 만난 그 사람이었어요.",
    "알고 보니 주인공이 이미 죽은 사람이었어요.",
    "결말은 다 같이 갇히는 거예요.",
    "마지막 자물쇠 번호는 0427이에요.",
    "열쇠는 액자 뒤에 숨겨져 있어요.",
)
_SPOILERS_AUTHOR_FLAGGED = (
    "마지막 방의 거울을 꼭 눌러 보세요.",
    "두 번째 방이 사실 첫 번째 방과 같은 곳이에요.",
)
SPOILER_SHARE = 0.08


def review_spoiler(*, user: int, room_id: int, text: str) -> tuple[str, bool]:
    """About one written review in twelve gets a spoiler (and, for the undetectable ones, its author's flag).

    A random stream of its own per review, so the rest of the history is the same with or without spoilers.
    """
    if not text:
        return text, False
    rng = random.Random(f"spoiler:{user}:{room_id}")
    if rng.random() >= SPOILER_SHARE:
        return text, False
    if rng.random() < 0.7:
        return f"{text} {rng.choice(_SPOILERS_DETECTED)}", False
    return f"{text} {rng.choice(_SPOILERS_AUTHOR_FLAGGED)}", True


def review_text(rng: random.Random, *, room: RoomInfo, rating: int, escaped: bool, hints: int) -> str:
    """A short review for about half of the plays (the rest leave the stars only), without spoilers."""
    if rng.random() < 0.45:
        return ""
    remarks = []
    if room.fear >= 4:
        remarks.append("무서워서 소리 지르면서 했어요." if rating >= 4 else "너무 무서워서 문제에 집중을 못 했어요.")
    if room.difficulty >= 4:
        remarks.append("어려웠지만 풀 때마다 쾌감이 컸어요." if rating >= 4 else "문제가 너무 어려웠어요.")
    elif room.difficulty <= 2:
        remarks.append("방탈출 처음인 친구도 금방 적응했어요." if rating >= 3 else "너무 쉬워서 금방 끝났어요.")
    if room.activity >= 4:
        remarks.append("많이 움직여야 해서 땀났지만 신났어요." if rating >= 4 else "움직일 일이 많아 좀 힘들었어요.")
    remarks.append(rng.choice(_REMARKS_GOOD if rating >= 4 else _REMARKS_MIXED if rating == 3 else _REMARKS_BAD))
    if escaped:
        remarks.append("노힌트로 탈출 성공했어요." if hints == 0 else f"힌트 {hints}개 쓰고 탈출했어요.")
    else:
        remarks.append("아쉽게 탈출은 못 했어요.")
    picked = rng.sample(remarks, k=min(len(remarks), rng.choice((1, 1, 2))))
    return " ".join([rng.choice(_VERDICTS[rating]), *picked])


def activity_plan(*, rooms: list[RoomInfo], users: int, months: int, seed: int, today: date) -> Plan:
    """The whole history, deterministic for a given catalogue, user count, month count and seed."""
    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    end = _month_start(today, 0)
    first = _month_start(end, -months)
    # After the `months` complete months, the current one up to yesterday: the history reaches the day it is
    # loaded, so the insights' recent days are not empty on a fresh start.
    days_this_month = today.day - 1
    horizon = datetime.combine(today, datetime.min.time(), tzinfo=tz)  # nothing happens from today on
    regions = sorted({r.region for r in rooms})
    by_region: dict[str, list[RoomInfo]] = defaultdict(list)
    for room in rooms:
        by_region[room.region].append(room)
    plan = Plan()
    tastes: list[Taste] = []
    for n in range(users):
        taste = _taste(rng, regions)
        tastes.append(taste)
        declared = rng.random() < 0.6
        top_genres = sorted(taste.genres, key=taste.genres.get, reverse=True)[:2]
        plan.users.append(
            {
                "username": f"{DEMO_USER_PREFIX}{n + 1:04d}",
                "favorite_genres": top_genres[: rng.choice((1, 2))] if declared else [],
                "favorite_regions": taste.regions[:1] if declared else [],
                "usual_party_size": taste.party if declared else None,
                # Stated limits follow the hidden taste: horror avoided entirely, a low fear tolerance.
                "disliked_genres": ["공포"] if declared and taste.genres["공포"] == 0.0 else [],
                "max_fear": taste.fear if declared and taste.fear <= 1 else None,
                # Most users were there before the history starts; the rest join steadily.
                "joined": first if rng.random() < 0.75 else first + timedelta(days=rng.randrange(months * 30)),
            }
        )
    played: set[tuple[int, int]] = set()
    room_scores = [[utility(t, r) for r in rooms] for t in tastes]

    def choose_room(u: int, month: date, progress: float, pool: list[int] | None = None) -> RoomInfo | None:
        index = [i for i in (pool if pool is not None else range(len(rooms))) if (u, rooms[i].id) not in played]
        if not index:
            return None
        scores = [
            room_scores[u][i]
            + math.log(max(genre_multiplier(g, month.month, progress) for g in rooms[i].genres))
            + math.log(region_multiplier(rooms[i].region, month.month, progress))
            for i in index
        ]
        return rooms[_softmax_choice(rng, index, scores)]

    room_position = {room.id: i for i, room in enumerate(rooms)}

    def add_play(u: int, room: RoomInfo, moment: datetime, *, players: int | None = None) -> dict:
        """A room played: every review is one, and many plays go unreviewed (the play log still has them)."""
        played.add((u, room.id))
        escaped = rng.random() < 0.35 + 0.1 * (5 - room.difficulty)
        party = players or min(max(tastes[u].party, room.min_players), room.max_players)
        spec = {
            "user": u,
            "room": room.id,
            "played_on": moment.date(),
            "at": moment,
            "escaped": escaped,
            "hints_used": rng.randint(0, 4),
            "minutes_left": rng.randint(0, 20) if escaped else None,
            "players": party,
        }
        plan.plays.append(spec)
        return spec

    def add_review(u: int, room: RoomInfo, moment: datetime) -> None:
        play = add_play(u, room, moment)
        fit = room_scores[u][room_position[room.id]]
        rating = max(1, min(5, round(2.7 + 0.35 * fit + 0.35 * room.quality + rng.gauss(0, 0.6))))
        escaped, hints = play["escaped"], play["hints_used"]
        text, author_spoiler = review_spoiler(
            user=u, room_id=room.id, text=review_text(rng, room=room, rating=rating, escaped=escaped, hints=hints)
        )
        plan.reviews.append(
            {
                "user": u,
                "room": room.id,
                "rating": rating,
                "text": text,
                "spoiler": author_spoiler,
                "escaped": escaped,
                "hints_used": hints,
                "played_on": moment.date(),
                "created_at": min(moment + timedelta(hours=rng.randint(2, 72)), horizon - timedelta(minutes=1)),
            }
        )

    for m in range(months + (1 if days_this_month else 0)):
        month = _month_start(first, m)
        progress = m / max(1, months - 1)
        volume = volume_multiplier(month.month, progress)
        days = None
        if m == months:  # the current month so far: its days, and as much activity as they hold
            days = days_this_month
            volume *= days / (_month_start(month, 1) - month).days
        for u, taste in enumerate(tastes):
            if plan.users[u]["joined"] > _month_start(month, 1):
                continue
            rate = taste.activity * volume
            # Searches on the site (outside chat): genre and region drawn from taste x season x trend.
            for _ in range(_poisson(rng, 1.6 * rate)):
                genre = _softmax_choice(
                    rng,
                    list(GENRE_NAMES),
                    [
                        math.log(taste.genres[g] + 0.05) + math.log(genre_multiplier(g, month.month, progress))
                        for g in GENRE_NAMES
                    ],
                    temperature=1.0,
                )
                region = _softmax_choice(
                    rng,
                    regions,
                    [
                        (1.5 if r in taste.regions else 0.0) + math.log(region_multiplier(r, month.month, progress))
                        for r in regions
                    ],
                    temperature=1.0,
                )
                plan.searches.append(
                    {
                        "user": u,
                        "at": _moment(rng, month, tz, days),
                        "region": region,
                        "genres": [genre] if rng.random() < 0.8 else [],
                        "players": taste.party,
                    }
                )
            # Plays found elsewhere (friends, the site): reviews.
            for _ in range(_poisson(rng, 0.35 * rate)):
                room = choose_room(u, month, progress)
                if room is not None:
                    add_review(u, room, _moment(rng, month, tz, days))
            # Plays nobody reviewed: the play log has them, the reviews do not.
            for _ in range(_poisson(rng, 0.2 * rate)):
                room = choose_room(u, month, progress)
                if room is not None:
                    add_play(u, room, _moment(rng, month, tz, days))
            for _ in range(_poisson(rng, 0.3 * rate)):
                session = _session_plan(rng, u, taste, month, progress, rooms, by_region, room_scores, tz, days)
                plan.sessions.append(session)
                if session["ends_well"] and session["play"] is not None and rng.random() < 0.7:
                    room = next(r for r in rooms if r.id == session["play"])
                    moment = session["started"] + timedelta(days=rng.randint(1, 20))
                    if (u, room.id) not in played and moment < horizon:
                        # The recommended room, played: half the players review it, the rest only log it.
                        if rng.random() < 0.7:
                            add_review(u, room, moment)
                        else:
                            add_play(u, room, moment)
    plan.parties = _parties_plan(
        rng=rng, tastes=tastes, users=plan.users, rooms=rooms, room_scores=room_scores, played=played, today=today
    )
    for party in plan.parties:  # the rooms each party played together: a play for every member, same day
        for room_id, day in party["played"]:
            room = rooms[room_position[room_id]]
            moment = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(hours=rng.randint(11, 21))
            for u in party["members"]:
                add_play(u, room, moment, players=len(party["members"]))
    return plan


# The demo parties `make run` prints, so a new user can join one and try party mode at once:
# (name, invite code, who is in it).
DEMO_PARTIES = (
    ("강남 원정대", "GANGNAM4", "region:강남"),
    ("대학로 추리 클럽", "DAEHAK27", "genre:추리"),
    ("주말 감성 모임", "WEEKEND8", "scaredy"),
)
DEMO_PARTY_SIZE = 3
DEMO_PARTY_ROOMS = 4  # rooms each party played together in the last months


def _parties_plan(*, rng, tastes, users, rooms, room_scores, played, today) -> list[dict]:
    """The demo parties: friends of like taste (a home region, a genre they love, one 쫄보 among them), and the
    rooms each played together (none any member had played; the party's size fits; every stated limit holds)."""
    parties: list[dict] = []
    taken: set[int] = set()
    for name, code, rule in DEMO_PARTIES:
        kind, _, value = rule.partition(":")
        free = [u for u in range(len(tastes)) if u not in taken]
        if kind == "region":
            ranked = [u for u in free if value in tastes[u].regions] + [
                u for u in free if value not in tastes[u].regions
            ]
        elif kind == "genre":
            ranked = sorted(free, key=lambda u: (-tastes[u].genres.get(value, 0.0), u))
        else:  # a declared 쫄보 first, then whoever likes 감성 most
            scaredy = [u for u in free if users[u]["max_fear"] is not None]
            ranked = scaredy[:1] + sorted(
                (u for u in free if u not in scaredy[:1]), key=lambda u: (-tastes[u].genres.get("감성", 0.0), u)
            )
        members = ranked[:DEMO_PARTY_SIZE]
        if len(members) < 2:
            break
        taken.update(members)
        disliked = {genre for u in members for genre in users[u]["disliked_genres"]}
        fears = [users[u]["max_fear"] for u in members if users[u]["max_fear"] is not None]
        fear_cap = min(fears) if fears else 5
        fits = [
            i
            for i, room in enumerate(rooms)
            if room.min_players <= len(members) <= room.max_players
            and room.fear <= fear_cap
            and not disliked & set(room.genres)
            and not any((u, room.id) in played for u in members)
        ]
        days = sorted(rng.sample(range(7, 180), k=min(DEMO_PARTY_ROOMS, len(fits))), reverse=True)
        together = []
        for day in days:
            if not fits:
                break
            # The group's pick: how much the least happy member would enjoy it, plus the average.
            scores = [
                0.5 * min(room_scores[u][i] for u in members)
                + 0.5 * sum(room_scores[u][i] for u in members) / len(members)
                for i in fits
            ]
            chosen = _softmax_choice(rng, fits, scores)
            fits.remove(chosen)
            together.append((rooms[chosen].id, today - timedelta(days=day)))
        parties.append({"name": name, "code": code, "members": members, "played": together})
    return parties


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, product = math.exp(-lam), 0, rng.random()
    while product > threshold:
        k += 1
        product *= rng.random()
    return k


def _session_plan(rng, u, taste, month, progress, rooms, by_region, room_scores, tz, days=None) -> dict:
    started = _moment(rng, month, tz, days)
    moment = started
    messages: list[dict] = []
    satisfaction = 0.0
    best: tuple[float, int | None, int | None] = (-1e9, None, None)  # (fit, message index, room id)
    region = taste.regions[0] if rng.random() < 0.8 else None
    top = sorted(taste.genres, key=taste.genres.get, reverse=True)
    position = {room.id: i for i, room in enumerate(rooms)}
    for turn in range(rng.choice((1, 2, 2, 3, 3, 4))):
        intent = (
            "room_recommendation"
            if turn == 0
            else rng.choices(("room_recommendation", "room_inquiry", "general_chat"), weights=(0.6, 0.25, 0.15))[0]
        )
        entities: dict = {}
        if intent == "room_recommendation":
            if region and rng.random() < 0.9:
                entities["region"] = region
            if rng.random() < 0.4 + 0.2 * turn:
                # A genre the user likes, or sometimes one they do not (the query then misleads search).
                entities["genres"] = [top[0] if rng.random() < 0.75 else rng.choice(GENRE_NAMES)]
            if rng.random() < 0.5:
                entities["players"] = taste.party
            if taste.difficulty < 2.5 and rng.random() < 0.5:
                entities["difficulty"] = "easy"
        inquiry_room = rng.choice(rooms) if intent == "room_inquiry" else None
        text = _user_text(rng, intent, entities, None if inquiry_room is None else inquiry_room.name)
        messages.append({"role": "user", "text": text, "intent": intent, "entities": entities, "at": moment})
        moment += timedelta(seconds=rng.randint(2, 8))
        slow = rng.random() < 0.12
        latency = int(rng.uniform(3000, 9000) if slow else rng.lognormvariate(6.7, 0.4))
        recommended: list[int] = []
        result_count = 0
        if intent == "room_recommendation":
            pool = by_region.get(entities.get("region"), rooms) if entities.get("region") else rooms
            wanted = set(entities.get("genres", []))
            pool = [r for r in pool if not wanted or wanted & set(r.genres)]
            players = entities.get("players")
            pool = [r for r in pool if players is None or r.min_players <= players <= r.max_players]
            if entities.get("difficulty") == "easy":
                pool = [r for r in pool if r.difficulty <= 2]
            result_count = len(pool)
            # Search ranks the best-rated first; ratings come to follow quality.
            ranked = sorted(pool, key=lambda r: (-(0.4 * r.quality + 0.3 * rng.random()), r.id))
            recommended = [r.id for r in ranked[:3]]
        dislikes = []
        if recommended:
            fits = [room_scores[u][position[r]] for r in recommended]
            fit = max(fits)
            contribution = 0.55 * (fit - 3.0) + rng.gauss(0, 0.35)
            if fit > best[0]:
                best = (fit, len(messages), recommended[fits.index(fit)])
            worst = min(range(len(fits)), key=fits.__getitem__)
            if fits[worst] < 1.5 and rng.random() < 0.5:
                dislikes.append(recommended[worst])
        elif intent == "room_recommendation":
            contribution = -1.1 + rng.gauss(0, 0.3)  # nothing found
        else:
            contribution = 0.15 + rng.gauss(0, 0.3)
        if slow:
            contribution -= 0.8
        # Recent turns count more: earlier satisfaction fades.
        satisfaction = 0.45 * satisfaction + contribution
        reply_length = (
            rng.randint(30, 60) if not recommended and intent == "room_recommendation" else rng.randint(80, 320)
        )
        messages.append(
            {
                "role": "assistant",
                "text": "추천" * (reply_length // 2) if recommended else "안내" * (reply_length // 2),
                "intent": intent,
                "entities": entities,
                "recommended": recommended,
                "result_count": result_count,
                "latency": latency,
                "dislikes": dislikes,
                "at": moment + timedelta(milliseconds=latency),
            }
        )
        moment += timedelta(seconds=rng.randint(20, 120))
    probability = 1.0 / (1.0 + math.exp(-(2.0 * satisfaction - 0.2)))
    ends_well = best[1] is not None and rng.random() < probability
    return {
        "user": u,
        "started": started,
        "messages": messages,
        "ends_well": ends_well,
        "click": (best[1], best[2]) if ends_well else None,
        "liked": ends_well and rng.random() < 0.5,
        "play": best[2] if ends_well else None,
        "ended": moment,
    }


# --- writing ----------------------------------------------------------------------------------


def _event(type_: str, *, rng: random.Random, user_id: int, at: datetime, payload: dict, session_id=None) -> str:
    from analytics.schema import event_document

    return event_document(
        type=type_,
        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        user_id=user_id,
        chat_session_id=session_id,
        payload=payload,
        occurred_at=at,
        max_payload_bytes=settings.ANALYTICS_MAX_PAYLOAD_BYTES,
    )


def demo_activity_exists() -> bool:
    return get_user_model().objects.filter(username__startswith=DEMO_USER_PREFIX).exists()


def demo_activity_delete() -> int:
    from analytics.ingest import rollups_rebuild
    from analytics.models import Event

    users = get_user_model().objects.filter(username__startswith=DEMO_USER_PREFIX)
    with transaction.atomic():
        Event.objects.filter(user__in=users).delete()
        _reviews_take_out(reviews=Review.objects.filter(user__in=users))
        count, _ = users.delete()
        rollups_rebuild()
    return count


def _reviews_take_out(*, reviews: QuerySet[Review]) -> None:
    """Delete these reviews and take them out of their rooms' ratings (the inverse of
    `reviews_bulk_create`; any imported totals the rooms carry stay)."""
    totals = {
        row["room_id"]: (row["total"], row["count"])
        for row in reviews.values("room_id").annotate(total=Sum("rating"), count=Count("id"))
    }
    room_ids = sorted(totals)
    list(Room.objects.select_for_update().filter(id__in=room_ids).order_by("id").values_list("id", flat=True))
    reviews.delete()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE rooms_room r SET
                rating_sum = GREATEST(0, r.rating_sum - d.total),
                review_count = GREATEST(0, r.review_count - d.count),
                rating = CASE WHEN r.review_count > d.count AND r.rating_sum >= d.total
                    THEN round(((r.rating_sum - d.total)::numeric / (r.review_count - d.count)), 4) ELSE 0 END
            FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS d(id, total, count)
            WHERE r.id = d.id
            """,
            [room_ids, [totals[i][0] for i in room_ids], [totals[i][1] for i in room_ids]],
        )


@transaction.atomic
def demo_activity_write(*, plan: Plan, seed: int) -> dict[str, int]:
    from analytics.ingest import events_insert
    from chat.models import ChatMessage, ChatSession, RecommendationFeedback

    rng = random.Random(seed + 1)
    user_model = get_user_model()
    tz = timezone.get_current_timezone()
    password = make_password(None)
    created_users = user_model.objects.bulk_create(
        [
            user_model(
                username=spec["username"],
                email=f"{spec['username']}@demo.example.com",
                password=password,
                favorite_genres=spec["favorite_genres"],
                favorite_regions=spec["favorite_regions"],
                usual_party_size=spec["usual_party_size"],
                disliked_genres=spec["disliked_genres"],
                max_fear=spec["max_fear"],
                date_joined=datetime.combine(spec["joined"], datetime.min.time(), tzinfo=tz),
            )
            for spec in plan.users
        ]
    )
    user_ids = [user.id for user in created_users]
    # Through the review service, so each room's rating and review count are those of its reviews.
    reviews = reviews_bulk_create(
        reviews=[
            Review(
                user_id=user_ids[r["user"]],
                room_id=r["room"],
                rating=r["rating"],
                text=r["text"],
                author_spoiler=r.get("spoiler", False),
                escaped=r["escaped"],
                hints_used=r["hints_used"],
                played_on=r["played_on"],
            )
            for r in plan.reviews
        ],
        batch_size=2000,
    )
    for review, spec in zip(reviews, plan.reviews, strict=True):
        review.created_at = review.updated_at = spec["created_at"]
    Review.objects.bulk_update(reviews, ["created_at", "updated_at"], batch_size=2000)
    plays = _plays_write(plan=plan, user_ids=user_ids)
    parties = _parties_write(plan=plan, user_ids=user_ids)

    sessions = ChatSession.objects.bulk_create(
        [ChatSession(user_id=user_ids[s["user"]], title=s["messages"][0]["text"][:100]) for s in plan.sessions],
        batch_size=2000,
    )
    for session, spec in zip(sessions, plan.sessions, strict=True):
        session.created_at, session.updated_at = spec["started"], spec["ended"]
    ChatSession.objects.bulk_update(sessions, ["created_at", "updated_at"], batch_size=2000)

    message_rows, message_specs = [], []
    for session, spec in zip(sessions, plan.sessions, strict=True):
        for m in spec["messages"]:
            message_rows.append(
                ChatMessage(
                    session_id=session.id,
                    role=m["role"],
                    text=m["text"],
                    intent=m["intent"],
                    entities=m["entities"],
                    recommended_room_ids=m.get("recommended", []),
                    latency_ms=m.get("latency"),
                    provider="local" if m["role"] == "assistant" else "",
                    model="offline" if m["role"] == "assistant" else "",
                )
            )
            message_specs.append((session, spec, m))
    messages = ChatMessage.objects.bulk_create(message_rows, batch_size=2000)
    for message, (_, _, m) in zip(messages, message_specs, strict=True):
        message.created_at = m["at"]
    ChatMessage.objects.bulk_update(messages, ["created_at"], batch_size=2000)

    documents: dict[str, list[str]] = defaultdict(list)
    feedback_rows, feedback_times = [], []
    message_index = 0
    for session, spec in zip(sessions, plan.sessions, strict=True):
        user_id = user_ids[spec["user"]]
        ids = [messages[message_index + i].id for i in range(len(spec["messages"]))]
        for i, m in enumerate(spec["messages"]):
            if m["role"] == "user":
                continue
            ran_search = m["intent"] == "room_recommendation"
            documents["chat.message"].append(
                _event(
                    "chat.message",
                    rng=rng,
                    user_id=user_id,
                    at=m["at"],
                    session_id=session.id,
                    payload={
                        "message_id": ids[i],
                        "user_message_id": ids[i - 1],
                        "user_text_chars": len(spec["messages"][i - 1]["text"]),
                        "reply_chars": len(m["text"]),
                        "room_ids": m["recommended"],
                        "intent": m["intent"],
                        "entities": m["entities"],
                        "ran_search": ran_search,
                        "result_count": m["result_count"],
                        "latency_ms": m["latency"],
                        "provider": "local",
                        "model": "offline",
                        "input_tokens": 0,
                        "output_tokens": 0,
                        "cost_usd": 0,
                        "fallback": False,
                    },
                )
            )
            if ran_search:
                documents["search.performed"].append(
                    _event(
                        "search.performed",
                        rng=rng,
                        user_id=user_id,
                        at=m["at"],
                        session_id=session.id,
                        payload={
                            "query": spec["messages"][i - 1]["text"],
                            "region": m["entities"].get("region"),
                            "genres": m["entities"].get("genres", []),
                            "players": m["entities"].get("players"),
                            "result_count": m["result_count"],
                            "method": "rrf",
                        },
                    )
                )
            if m["recommended"]:
                documents["recommendation.shown"].append(
                    _event(
                        "recommendation.shown",
                        rng=rng,
                        user_id=user_id,
                        at=m["at"],
                        session_id=session.id,
                        payload={
                            "room_ids": m["recommended"],
                            "region": m["entities"].get("region"),
                            "genres": m["entities"].get("genres", []),
                            "message_id": ids[i],
                            # the reply's model, as chat records it (cost per success is counted per model)
                            "provider": "local",
                            "model": "offline",
                        },
                    )
                )
            feedback = [(room_id, "disliked") for room_id in m["dislikes"]]
            if spec["click"] is not None and spec["click"][0] == i:
                feedback.append((spec["click"][1], "clicked"))
                if spec["liked"]:
                    feedback.append((spec["click"][1], "liked"))
            for room_id, kind in feedback:
                at = m["at"] + timedelta(seconds=rng.randint(5, 40))
                feedback_rows.append(
                    RecommendationFeedback(user_id=user_id, message_id=ids[i], room_id=room_id, kind=kind)
                )
                feedback_times.append(at)
                documents["recommendation.clicked"].append(
                    _event(
                        "recommendation.clicked",
                        rng=rng,
                        user_id=user_id,
                        at=at,
                        session_id=session.id,
                        payload={"room_id": room_id, "message_id": ids[i], "feedback": kind},
                    )
                )
        message_index += len(spec["messages"])
    feedback = RecommendationFeedback.objects.bulk_create(feedback_rows, batch_size=2000)
    for row, at in zip(feedback, feedback_times, strict=True):
        row.created_at = at
    RecommendationFeedback.objects.bulk_update(feedback, ["created_at"], batch_size=2000)

    for search in plan.searches:
        documents["search.performed"].append(
            _event(
                "search.performed",
                rng=rng,
                user_id=user_ids[search["user"]],
                at=search["at"],
                payload={
                    "query": " ".join([search["region"], *search["genres"]]),
                    "region": search["region"],
                    "genres": search["genres"],
                    "players": search["players"],
                    "result_count": 10,
                    "method": "rrf",
                },
            )
        )
    # Reviews reach the insights as events, as a review written on the site does (rooms.services.review_upsert).
    facts = dict(
        (room_id, (region, list(genres)))
        for room_id, region, genres in Room.objects.filter(id__in={r["room"] for r in plan.reviews}).values_list(
            "id", "region", "genres"
        )
    )
    for spec in plan.reviews:
        region, genres = facts[spec["room"]]
        documents["review.created"].append(
            _event(
                "review.created",
                rng=rng,
                user_id=user_ids[spec["user"]],
                at=spec["created_at"],
                payload={"room_id": spec["room"], "rating": spec["rating"], "region": region, "genres": genres},
            )
        )
    # Plays and parties reach the insights as events too, as on the site (plays.services).
    play_facts = dict(
        (room_id, (region, list(genres)))
        for room_id, region, genres in Room.objects.filter(id__in={p["room"] for p in plan.plays}).values_list(
            "id", "region", "genres"
        )
    )
    for spec in plan.plays:
        region, genres = play_facts[spec["room"]]
        documents["play.logged"].append(
            _event(
                "play.logged",
                rng=rng,
                user_id=user_ids[spec["user"]],
                at=spec["at"],
                payload={
                    "room_id": spec["room"],
                    "region": region,
                    "genres": genres,
                    "escaped": spec["escaped"],
                    "hints_used": spec["hints_used"],
                    "source": "demo",
                },
            )
        )
    for party, spec in zip(parties, plan.parties, strict=True):
        first_play = min((day for _, day in spec["played"]), default=timezone.localdate())
        documents["party.created"].append(
            _event(
                "party.created",
                rng=rng,
                user_id=party.owner_id,
                at=datetime.combine(first_play - timedelta(days=3), datetime.min.time(), tzinfo=tz),
                payload={"party_id": party.id},
            )
        )
    events = 0
    # Recommendations before the clicks on them (analytics joins a click to its recommendation).
    for type_ in (
        "search.performed",
        "chat.message",
        "recommendation.shown",
        "recommendation.clicked",
        "review.created",
        "play.logged",
        "party.created",
    ):
        rows = documents[type_]
        for start in range(0, len(rows), 2000):
            events += events_insert(documents=rows[start : start + 2000])
    return {
        "users": len(created_users),
        "reviews": len(reviews),
        "plays": len(plays),
        "parties": len(parties),
        "sessions": len(sessions),
        "messages": len(messages),
        "feedback": len(feedback),
        "events": events,
    }


def _plays_write(*, plan: Plan, user_ids: list[int]) -> list[Play]:
    """The play log: every room each demo user played (reviewed or not), dated when it was played."""
    plays = Play.objects.bulk_create(
        [
            Play(
                user_id=user_ids[spec["user"]],
                room_id=spec["room"],
                played_on=spec["played_on"],
                escaped=spec["escaped"],
                hints_used=spec["hints_used"],
                minutes_left=spec["minutes_left"],
                players=spec["players"],
                source=Play.Source.DEMO,
            )
            for spec in plan.plays
        ],
        batch_size=2000,
    )
    for play, spec in zip(plays, plan.plays, strict=True):
        play.created_at = play.updated_at = spec["at"]
    Play.objects.bulk_update(plays, ["created_at", "updated_at"], batch_size=2000)
    return plays


def _parties_write(*, plan: Plan, user_ids: list[int]) -> list[Party]:
    parties = []
    for spec in plan.parties:
        members = [user_ids[u] for u in spec["members"]]
        party = Party.objects.create(name=spec["name"], owner_id=members[0], invite_code=spec["code"])
        PartyMember.objects.bulk_create([PartyMember(party=party, user_id=user_id) for user_id in members])
        parties.append(party)
    return parties


def demo_parties() -> list[tuple[Party, int]]:
    """The demo parties with their member counts (for `make run` to print their invite codes)."""
    codes = [code for _, code, _ in DEMO_PARTIES]
    parties = Party.objects.filter(invite_code__in=codes).annotate(members=Count("memberships"))
    order = {code: index for index, code in enumerate(codes)}
    return sorted(((party, party.members) for party in parties), key=lambda item: order[item[0].invite_code])


def room_infos() -> list[RoomInfo]:
    """Active rooms in a stable order (store and room names), so the same catalogue gives the same plan."""
    rows = (
        Room.objects.filter(is_active=True)
        .order_by("store__name", "name")
        .values(
            "id",
            "name",
            "genres",
            "region",
            "difficulty",
            "fear",
            "min_players",
            "max_players",
            "activity",
            "store__name",
        )
    )
    infos = []
    for row in rows:
        store_name = row.pop("store__name")
        infos.append(RoomInfo(**row, quality=room_quality(store_name=store_name, room_name=row["name"])))
    return infos
