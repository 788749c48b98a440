"""Planning one turn: what the message refers to, what to look up, and the reply's template.

`plan_turn(turn=…, analysis=…)` reads (the catalogue, the user's preferences and plays) and decides: answer a room
question (by name, by reference, or the room talked about), ask which room was meant, ask where, list rooms, or say
what blocks a search and what would not. In party mode (`chat.party_mode`) the party's limits join the filters and
the group score orders the rooms. It writes nothing; `chat.services` records the turn and its side effects.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from analytics import metrics
from chat.dialogue import (
    StateUpdate,
    state_filters,
    state_focus,
    state_shown,
    state_update,
)
from chat.models import ChatSession
from chat.nlu.local import inquiry_topics, text_language, wants_reset
from chat.nlu.party import party_names_removed
from chat.nlu.schema import MessageAnalysis
from chat.nlu.when import when_from_bounds, when_of, when_parse
from chat.party_mode import PartyTurn, party_line, party_turn_resolve, played_note, rooms_group_order
from chat.ranking import RankedRooms, rooms_rank
from chat.replies import (
    Relaxation,
    Suggestion,
    ask_players_reply,
    ask_region_reply,
    dead_end_reply,
    general_reply,
    inquiry_many_reply,
    inquiry_reply,
    missing_name_reply,
    no_slots_reply,
    no_such_room_reply,
    recommendation_reply,
    room_slots_sentence,
    unknown_room_reply,
    which_room_reply,
    with_greeting,
)
from chat.selectors import room_name_suggestions
from ml.inference import room_reasons as personal_room_reasons
from ml.selectors import user_played_room_ids
from rooms.models import Room
from rooms.selectors import room_slots_nearest_open, room_slots_open
from rooms.selectors.rooms import (
    NAME_AMBIGUITY_MARGIN,
    NameMatch,
    room_count,
    room_count_by_region,
    room_match_by_name,
)
from rooms.vocabulary import REGION_NAMES, regions_nearest

logger = logging.getLogger(__name__)

# A name lookup at or above this score is the room the user meant; below it, only a suggestion.
ROOM_NAME_FOUND_SCORE = 0.5
# Regions offered when asking where (the ones with the most rooms come first).
REGION_CHIPS = 5


@dataclass
class Turn:
    """One incoming message with the session it continues and the state that session held."""

    user: Any
    text: str
    session: ChatSession | None
    state: dict
    started: float
    party_id: int | None = None  # plan for this party from now on (`party_id` of the API or the socket)
    # (start, end) given as `available_from`/`available_to` (checked by slot_window_parse): wins over the message
    window: tuple | None = None

    @property
    def user_id(self) -> int:
        return self.user.id


@dataclass
class Plan:
    """What to answer: the kind of reply, the new state, the template, rooms to show, chips."""

    # recommendation | ask_region | ask_players | dead_end | inquiry | which_room | unknown_room | general
    kind: str
    state: dict
    template: str
    rooms: list[Room] = field(default_factory=list)
    ran_search: bool = False
    found: int | None = None  # rooms the search found (before the cut to the few shown)
    llm_task: str | None = None  # None: the template is the reply, no LLM involved
    suggestions: list[Suggestion] = field(default_factory=list)
    # room id -> why it suits this signed-in user, from the recommender's strongest signals (Korean)
    personal: dict[int, str] = field(default_factory=dict)
    note: str = ""  # our own words said before the reply: the party's limits, played rooms left out
    # With a time window: room id -> the open slots its card shows (in the window, or the nearest ones when
    # nothing was open in it); `windowed` says the cards carry slots at all.
    slots: dict[int, list] = field(default_factory=dict)
    windowed: bool = False

    @property
    def lang(self) -> str:
        return self.state.get("lang") or "ko"


def plan_turn(*, turn: Turn, analysis: MessageAnalysis) -> Plan:
    """Raises `chat.party_mode.PartyNotFound` when `turn.party_id` is no party of the user's."""
    party = party_turn_resolve(user=turn.user, text=turn.text, requested_party_id=turn.party_id, state=turn.state)
    if party.question:  # "친구들이랑" with several parties: which one?
        chips = [Suggestion(label=name, message=f"{name} 파티로 추천해줘") for name in party.party_names.values()]
        return Plan(kind="ask_party", state=turn.state, template=party.question, suggestions=chips[:5])
    chosen = _pending_choice(turn=turn, analysis=analysis)
    if chosen is not None:
        # The message answered "which one?": it is a question about that room, whatever it reads like alone.
        analysis.intent = "room_inquiry"
        analysis.entities.room_name = chosen.rooms[0].name
        return chosen
    # Switching to a party ("파티로 추천해줘") asks for rooms even when the words alone read as small talk, and
    # party words the NLU took for a room's name ("주말팟으로 홍대 추리 테마") are no question about a room.
    if (party.switched and analysis.intent == "general_chat") or (
        analysis.intent == "room_inquiry" and party.took_for_a_room_name(analysis.entities.room_name)
    ):
        analysis.intent = "room_recommendation"
        analysis.entities.room_name = None
    if analysis.entities.when is not None and party.party_names:
        # A party's name is no time: "주말 방탈출로 홍대" names the party, not the weekend.
        unnamed = party_names_removed(turn.text, party.party_names)
        if unnamed != turn.text:
            analysis.entities.when = when_parse(unnamed)
    update = state_update(state=turn.state, analysis=analysis, text=turn.text)
    update.state["party"] = party.party
    if turn.window is not None and any(bound is not None for bound in turn.window):
        # Explicit fields win over a time the message names; the window stays in the state like a said one.
        explicit = when_from_bounds(*turn.window, now=timezone.now(), horizon_days=settings.ROOMS_SLOT_WINDOW_MAX_DAYS)
        if update.state.get("when") != explicit.state_value():
            update.state["when"] = explicit.state_value()
            update.changed.append("when")
            update.state["seen"] = []
    if party.switched or party.left:
        update.changed.append("party")
        update.state["seen"] = []
    if analysis.intent == "general_chat":
        # Conditions said in passing still count ("초보인데 팁 있어?" → easy next time).
        template = general_reply(
            text=turn.text,
            difficulty=analysis.entities.difficulty,
            lang=update.state["lang"],
            example=_example_room_name(),
        )
        return Plan(kind="general", state=update.state, template=template, llm_task="general_chat: 친절하게 답하기")
    if analysis.intent == "room_inquiry":
        return _plan_inquiry(turn=turn, analysis=analysis, update=update)
    plan = _plan_recommendation(turn=turn, analysis=analysis, update=update, party=party)
    plan.template = with_greeting(plan.template, text=turn.text, lang=plan.lang)
    return plan


# --- questions about rooms ----------------------------------------------------------------------------------------
def _plan_inquiry(*, turn: Turn, analysis: MessageAnalysis, update: StateUpdate) -> Plan:
    entities = analysis.entities
    state = update.state
    lang = state["lang"]
    topics = list(entities.topics) or inquiry_topics(turn.text)  # an LLM may leave them out
    if entities.room_name:
        return _plan_named(turn=turn, name=entities.room_name, topics=topics, players=entities.players, state=state)
    if update.referents:
        rooms = _rooms_in_order(update.referents)
        if len(rooms) == 1:
            return _answer_room(room=rooms[0], topics=topics, players=entities.players, state=state)
        if rooms:
            template = inquiry_many_reply(rooms=rooms, topics=topics, lang=lang, players=entities.players)
            return Plan(
                kind="inquiry", state=state, template=template, rooms=rooms, llm_task=_inquiry_task(rooms, topics)
            )
    missing = next((note.split(":", 1)[1] for note in update.notes if note.startswith("no_such_room:")), None)
    if missing is not None:
        template = no_such_room_reply(reference=missing, count=len(state["shown"]), lang=lang)
        return Plan(kind="unknown_room", state=state, template=template)
    return Plan(kind="unknown_room", state=state, template=missing_name_reply(example=_example_room_name(), lang=lang))


def _plan_named(*, turn: Turn, name: str, topics: list[str], players: int | None, state: dict) -> Plan:
    lang = state["lang"]
    matches = room_match_by_name(text=name)
    exact = [match for match in matches if match.exact]
    if len(exact) == 1:
        return _answer_room(room=exact[0].room, topics=topics, players=players, state=state)
    if not matches or matches[0].score < ROOM_NAME_FOUND_SCORE:
        suggestions = [match.room for match in matches[:3]] or room_name_suggestions(name=name)
        template, chips = unknown_room_reply(name=name, suggestions=suggestions, lang=lang)
        pending = _choice_pending(suggestions, topics, players) if suggestions else None
        return Plan(kind="unknown_room", state={**state, "pending": pending}, template=template, suggestions=chips)
    close = exact or _close_matches(matches)
    if len(close) == 1:
        return _answer_room(room=close[0].room, topics=topics, players=players, state=state)
    options = [match.room for match in close[:5]]
    template, chips = which_room_reply(name=name, options=options, lang=lang)
    return Plan(
        kind="which_room",
        state={**state, "pending": _choice_pending(options, topics, players)},
        template=template,
        suggestions=chips,
    )


def _close_matches(matches: list[NameMatch]) -> list[NameMatch]:
    best = matches[0].score
    return [match for match in matches if match.score >= best - NAME_AMBIGUITY_MARGIN]


def _choice_pending(rooms: list[Room], topics: list[str], players: int | None) -> dict:
    return {
        "kind": "room_choice",
        "options": [room.id for room in rooms],
        "topics": topics,
        "players": players,
    }


def _pending_choice(*, turn: Turn, analysis: MessageAnalysis) -> Plan | None:
    """The answer to "which one?": an option's store or name in the message, or its number ("두 번째")."""
    pending = turn.state.get("pending") or {}
    if pending.get("kind") != "room_choice":
        return None
    options = _rooms_in_order(pending.get("options") or [])
    if not options:
        return None
    compact = "".join(turn.text.split()).lower()
    chosen = None
    reference = analysis.entities.reference
    if reference and reference != "it":
        index = len(options) - 1 if reference == "last" else int(reference) - 1
        chosen = options[index] if 0 <= index < len(options) else None
    if chosen is None:
        chosen = _option_named(options, compact)
    if chosen is None and analysis.intent == "room_inquiry" and analysis.entities.room_name:
        exact = [match.room for match in room_match_by_name(text=analysis.entities.room_name) if match.exact]
        inside = [room for room in exact if room.id in pending["options"]]
        chosen = inside[0] if len(inside) == 1 else None
    if chosen is None:
        return None
    state = {**turn.state, "pending": None, "lang": text_language(turn.text) if turn.text else turn.state["lang"]}
    if not any(char.isalpha() and not char.isascii() for char in turn.text) and state["lang"] == "ko":
        state["lang"] = turn.state["lang"]
    topics = analysis.entities.topics or pending.get("topics") or []
    return _answer_room(room=chosen, topics=list(topics), players=pending.get("players"), state=state)


def _option_named(options: list[Room], compact: str) -> Room | None:
    """The one option whose store and name, else store, else store brand or branch ("건대점") the message says."""

    def squeeze(text: str) -> str:
        return "".join(text.split()).lower()

    tests = (
        lambda room: squeeze(room.store.name) in compact and squeeze(room.name) in compact,
        lambda room: squeeze(room.store.name) in compact,
        lambda room: squeeze(room.name) == compact,
        lambda room: any(len(word) >= 2 and word.lower() in compact for word in room.store.name.split()),
    )
    for test in tests:
        named = [room for room in options if test(room)]
        if len(named) == 1:
            return named[0]
    return None


def _answer_room(*, room: Room, topics: list[str], players: int | None, state: dict) -> Plan:
    review = None
    if "reviews" in topics:
        text = room.reviews.exclude(text="").order_by("-created_at").values_list("text", flat=True).first()
        review = text[:80] if text else None
    state = state_focus({**state, "pending": None}, room)
    template = inquiry_reply(room=room, topics=topics, lang=state["lang"], players=players, recent_review=review)
    plan = Plan(kind="inquiry", state=state, template=template, rooms=[room], llm_task=_inquiry_task([room], topics))
    when = when_of(state.get("when"))
    if when is not None:
        # With a time in the conversation, a question about a room answers when it is open then.
        slots = window_slots(room_ids=[room.id], when=when).get(room.id, [])
        middle = when.start + (when.end - when.start) / 2
        nearest = [] if slots else room_slots_nearest_open(room_ids=[room.id], around=middle, limit=SLOTS_PER_CARD)
        nearest.sort(key=lambda slot: slot.starts_at)
        plan.template += " " + room_slots_sentence(when=when, slots=slots, nearest=nearest, lang=state["lang"])
        plan.slots, plan.windowed = {room.id: slots or nearest}, True
    return plan


def _inquiry_task(rooms: list[Room], topics: list[str]) -> str:
    ids = ", ".join(f"[room:{room.id}]" for room in rooms)
    return f"inquiry: {ids}에 대해 묻는 것({', '.join(topics) or '개요'})에 답하기"


def _rooms_in_order(room_ids: list[int]) -> list[Room]:
    rooms = Room.objects.select_related("store").filter(is_active=True).in_bulk(room_ids)
    return [rooms[room_id] for room_id in room_ids if room_id in rooms]


def _example_room_name() -> str | None:
    """A real room's name for examples in canned replies ("… 몇 분이야?" must work when typed): the most reviewed."""
    return Room.objects.filter(is_active=True).order_by("-review_count", "id").values_list("name", flat=True).first()


# --- recommendations ----------------------------------------------------------------------------------------------
def _plan_recommendation(*, turn: Turn, analysis: MessageAnalysis, update: StateUpdate, party: PartyTurn) -> Plan:
    state = update.state
    lang = state["lang"]
    notes: list[str] = []
    if "delta_without_players" in update.notes:
        template, chips = ask_players_reply(lang=lang)
        return Plan(kind="ask_players", state=state, template=template, suggestions=chips)
    if not state["region"] and not state["any_region"]:
        favourite = _favourite_region(turn.user)
        asked_before = (turn.state.get("pending") or {}).get("kind") == "region"
        if favourite and (state.get("pending") or {}).get("avoid") != favourite:
            state = {**state, "region": favourite}
            notes.append(f"favourite_region:{favourite}")
        elif asked_before:
            # Asked once already and the answer named no region: every region will do.
            state = {**state, "any_region": True, "pending": None}
            notes.append("any_region_assumed")
        else:
            avoid = (state.get("pending") or {}).get("avoid")
            template, chips = ask_region_reply(
                state=state, lang=lang, regions=_region_choices(state, avoid), avoid=avoid
            )
            pending = {"kind": "region", "avoid": avoid}
            return Plan(kind="ask_region", state={**state, "pending": pending}, template=template, suggestions=chips)

    entities = analysis.entities
    for adjustment in ("easier", "harder", "less_scary", "scarier", "more"):
        if adjustment in entities.adjust:
            notes.append(adjustment)
    for note in update.notes:
        if note.endswith(("_lowest", "_highest")):
            notes.append(note)
    if "players" in update.changed and turn.state.get("players") and state["players"] and not wants_reset(turn.text):
        notes.append("players_changed")

    started = time.perf_counter()
    played = tuple(user_played_room_ids(user_id=turn.user_id))
    previous_ids = [room["id"] for room in turn.state.get("shown") or []]
    asked_again = not update.changed and previous_ids and not entities.adjust and not notes
    if asked_again:
        # The same request again ("노힌트로 깰만한 빡센거" after the hard rooms were shown): others, if there are any.
        state = {**state, "seen": list(dict.fromkeys([*state["seen"], *previous_ids]))}
        notes.append("more")
    ranked = _search(turn=turn, state=state, played=played, party=party)
    if asked_again and not ranked.rooms:
        state = {**state, "seen": []}
        notes.remove("more")
        ranked = _search(turn=turn, state=state, played=played, party=party)
    relative = {"easier", "harder", "less_scary", "scarier"} & set(entities.adjust)
    if ranked.rooms and [room.id for room in ranked.rooms] == previous_ids and relative:
        # A change that would show the very same rooms ("좀 더 쉬운 거" at the bottom): show others instead.
        ranked = _search(turn=turn, state=state, played=(*played, *previous_ids), party=party)
    metrics.search_observe("chat_hybrid", time.perf_counter() - started)
    when = when_of(state.get("when"))
    if ranked.rooms and when is not None and _daily(when):
        # "주말 저녁": the search's window runs from Saturday evening to Sunday evening; only rooms open in an
        # evening stay.
        open_then = window_slots(room_ids=[room.id for room in ranked.rooms], when=when)
        ranked = RankedRooms(
            rooms=[room for room in ranked.rooms if open_then.get(room.id)],
            found=ranked.found,
            well_rated=ranked.well_rated,
        )
    if not ranked.rooms and state.get("when"):
        # Nothing open in the window: the same rooms at other times, or other rooms at that time.
        fallback = _plan_no_slots(turn=turn, state=state, played=played, party=party)
        if fallback is not None:
            fallback.note = party_line(party)
            return fallback
    if not ranked.rooms:
        moved = "region" in update.changed and bool(turn.state.get("region"))
        plan = _plan_dead_end(
            state=state,
            played=played,
            party=party,
            seen_all="more" in entities.adjust,
            changed=update.changed,
            moved=moved,
        )
        plan.note = party_line(party)
        return plan
    said, noted = played_note(
        user_id=turn.user_id,
        query=" ".join([turn.text, *state["genres"]]),
        filters=state_filters(state),
        party=party,
        limit=settings.CHAT_RECOMMENDATION_LIMIT,
        noted=list(state["played_noted"]),
    )
    state = {**state_shown(state, ranked.rooms), "played_noted": noted}
    personal = _personal_reasons(turn.user_id, ranked.rooms)
    template, tip = recommendation_reply(
        state=state,
        rooms=ranked.rooms,
        lang=lang,
        notes=notes,
        well_rated=ranked.well_rated,
        changed=update.changed,
        last_tip=turn.state.get("last_tip"),
        personal=personal,
    )
    state = {**state, "last_tip": tip}
    slots = window_slots(room_ids=[room.id for room in ranked.rooms], when=when) if when else {}
    return Plan(
        kind="recommendation",
        state=state,
        template=template,
        rooms=ranked.rooms,
        ran_search=True,
        found=ranked.found,
        llm_task="recommend: <rooms>의 테마를 조건에 맞게 추천하기",
        personal=personal,
        note=" ".join(part for part in (party_line(party), said) if part),
        slots=slots,
        windowed=when is not None,
    )


def _daily(when) -> bool:
    """A time of day over several days ("주말 저녁"): slots count only at that time of each day."""
    return when.minute_from is not None and when.day_from is not None and when.day_to not in (None, when.day_from)


def window_slots(*, room_ids: list[int], when, per_room: int = 3) -> dict[int, list]:
    """The first open slots of each room in the window; over several days with a time of day, only the slots at
    that time of each day (the search's single window also spans the hours between)."""
    if not _daily(when):
        return room_slots_open(room_ids=room_ids, start=when.start, end=when.end, per_room=per_room)
    found = room_slots_open(room_ids=room_ids, start=when.start, end=when.end, per_room=DAILY_SLOTS_READ)
    kept: dict[int, list] = {}
    for room_id, slots in found.items():
        daily = [slot for slot in slots if _at_time_of_day(slot.starts_at, when)][:per_room]
        if daily:
            kept[room_id] = daily
    return kept


def _at_time_of_day(starts_at, when) -> bool:
    local = timezone.localtime(starts_at)
    minute = local.hour * 60 + local.minute
    return any(when.minute_from <= value < when.minute_to for value in (minute, minute + 1440))


# Slots read per room to find those at a time of day over several days (a weekend has ~20 slots a room).
DAILY_SLOTS_READ = 60
# Conditions left out to find other rooms open at the time asked (region, party size, exclusions and the party stay:
# they are where one can go, who comes and what nobody wants).
_TASTE_SLOTS = {"genres": [], "difficulty": None, "fear": None, "activity": None, "max_price": None}
SLOTS_PER_CARD = 3


def _plan_no_slots(*, turn: Turn, state: dict, played: tuple[int, ...], party: PartyTurn) -> Plan | None:
    """No room has an open slot in the window. Offer the nearest open slots of the rooms that fit at any time
    (the same rooms at other times), and the rooms open in the window once the taste conditions (genres, levels,
    price) are left out (other rooms at that time). None when neither exists (the dead end says what blocks)."""
    when = when_of(state["when"])
    limit = settings.CHAT_RECOMMENDATION_LIMIT
    anytime = _search(turn=turn, state={**state, "when": None}, played=played, party=party).rooms
    middle = when.start + (when.end - when.start) / 2
    nearest = room_slots_nearest_open(
        room_ids=[room.id for room in anytime], around=middle, limit=SLOTS_PER_CARD * max(len(anytime), 1)
    )
    slots: dict[int, list] = {}
    for slot in sorted(nearest, key=lambda slot: slot.starts_at):
        if len(slots.setdefault(slot.room_id, [])) < SLOTS_PER_CARD:
            slots[slot.room_id].append(slot)
    same = [room for room in anytime if slots.get(room.id)][:limit]
    others: list[Room] = []
    relaxed = {**state, **_TASTE_SLOTS}
    if any(state.get(key) != value for key, value in _TASTE_SLOTS.items()):
        excluded = (*played, *(room.id for room in anytime))
        others = _search(turn=turn, state=relaxed, played=excluded, party=party).rooms[:limit]
        slots.update(window_slots(room_ids=[room.id for room in others], when=when))
        others = [room for room in others if slots.get(room.id)]
    if not same and not others:
        return None
    rooms = [*same, *others]
    template, chips = no_slots_reply(
        state=state,
        lang=state["lang"],
        same=[(room, slots[room.id]) for room in same],
        others=[(room, slots[room.id]) for room in others],
    )
    return Plan(
        kind="recommendation",
        state=state_shown(state, rooms),
        template=template,
        rooms=rooms,
        ran_search=True,
        found=0,
        suggestions=chips,
        slots={room.id: slots[room.id] for room in rooms},
        windowed=True,
    )


def _personal_reasons(user_id: int | None, rooms: list[Room]) -> dict[int, str]:
    """Why each room suits this signed-in user (nothing for a guest, nor when only popularity would speak)."""
    if not user_id or not rooms:
        return {}
    try:
        return personal_room_reasons(user_id=user_id, rooms=rooms, fallback=False)
    except Exception:  # like the rerank, a reason is an extra: a broken model never breaks the reply
        logger.exception("personal reasons failed; replying without them")
        metrics.error_observe("reasons_failed", "chat")
        return {}


def _search(*, turn: Turn, state: dict, played: tuple[int, ...], party: PartyTurn) -> RankedRooms:
    limit = settings.CHAT_RECOMMENDATION_LIMIT
    filters = _filters(state, played=played, party=party)
    if party.party is None:
        return rooms_rank(user_id=turn.user_id, filters=filters, state=state, text=turn.text, limit=limit)
    # A party: the best-fitting pool (no one member's taste), ordered by the members' group score.
    pool = rooms_rank(
        user_id=None, filters=filters, state=state, text=turn.text, limit=max(limit, settings.CHAT_RERANK_CANDIDATES)
    )
    rooms = rooms_group_order(party=party, rooms=pool.rooms)[:limit]
    return RankedRooms(rooms=rooms, found=pool.found, well_rated=pool.well_rated & {room.id for room in rooms})


def _filters(state: dict, *, played: tuple[int, ...], party: PartyTurn):
    """The state's filters without the rooms played; in party mode with the party's limits (every member's plays,
    the party's size, their disliked genres and the lowest fear limit)."""
    filters = state_filters(state, exclude_room_ids=played)
    return party.limits.apply(filters) if party.limits is not None else filters


def _region_choices(state: dict, avoid: str | None) -> list[str]:
    """Regions to offer as chips: those with rooms for these conditions, the popular hubs first, or the nearest to
    the region the user wants to leave."""
    having = {region for region, _ in room_count_by_region(filters=state_filters(state))}
    order = regions_nearest(avoid) if avoid else list(REGION_NAMES)
    return [region for region in order if region in having][:REGION_CHIPS]


def _favourite_region(user) -> str | None:
    regions = list(getattr(user, "favorite_regions", None) or [])
    return regions[0] if regions else None


def _plan_dead_end(
    *, state: dict, played: tuple[int, ...], party: PartyTurn, seen_all: bool, changed: list[str], moved: bool = False
) -> Plan:
    """Nothing fits: find which condition blocks it by leaving each out in turn, and offer the nearest."""
    relaxations: list[Relaxation] = []
    for slot in ("when", "players", "genres", "difficulty", "fear", "activity", "max_price"):
        if state.get(slot):
            relaxed = {**state, slot: [] if slot == "genres" else None}
            count = room_count(filters=_filters(relaxed, played=played, party=party))
            if count:
                relaxations.append(Relaxation(slot=slot, count=count))
    if "공포" in state.get("exclude_genres", []):
        relaxed = {
            **state,
            "exclude_genres": [genre for genre in state["exclude_genres"] if genre != "공포"],
            "fear": None if state.get("fear") == "low" else state.get("fear"),
        }
        count = room_count(filters=_filters(relaxed, played=played, party=party))
        if count:
            relaxations.append(Relaxation(slot="exclude_genres", count=count))
    if state.get("region"):
        # The nearest regions where the other conditions find rooms.
        counts = dict(room_count_by_region(filters=_filters(state, played=played, party=party)))
        for region in [region for region in regions_nearest(state["region"]) if counts.get(region)][:2]:
            relaxations.append(Relaxation(slot="region", count=counts[region], region=region))
    # A condition this turn just set blocks first ("좀 더 쉬운 거" went below every room), then the one whose removal
    # brings back the most rooms; two of those and the nearest region, which leads when the user just moved.
    conditions = sorted(
        (item for item in relaxations if item.slot != "region"),
        key=lambda item: (item.slot not in changed, -item.count),
    )[:2]
    regions = [item for item in relaxations if item.slot == "region"][:1]
    relaxations = regions + conditions if moved else conditions + regions
    template, chips = dead_end_reply(state=state, lang=state["lang"], relaxations=relaxations, seen_all=seen_all)
    return Plan(kind="dead_end", state=state, template=template, ran_search=True, found=0, suggestions=chips)
