"""The play log and parties in a conversation.

- Rooms the user has played (logged or reviewed) never come back as recommendations: they are a hard filter of
  the search (both legs). When one would have ranked among the results shown, the reply says so, once per room
  in a session ("이미 플레이하신 '…'은 뺐어요").
- Party mode plans for a whole party: `party_id` on `POST /chat/` or the socket, a party's name in the message,
  or "친구들이랑"/"파티로" when the user is in exactly one party (several: the reply asks which). Then rooms any
  member played are left out, the party's size is the player count unless one was said, every member's disliked
  genres and the lowest fear limit are hard filters, and the group score (ml.group) orders the results. The
  dialogue state carries the party as {"id", "name", "size"}: the chat page shows it as a chip.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from chat.nlu.party import party_cue, party_named, party_words, solo_cue
from ml.group import Member, PartyLimits, group_rerank, party_limits, party_members_load
from plays.selectors import party_get_for_member, party_list, party_members, played_room_ids
from rooms.models import Room
from rooms.selectors.rooms import room_list
from rooms.selectors.search import RoomSearchFilters, room_search_hybrid


class PartyNotFound(Exception):
    """`party_id` names no party the user is in (answered 404, like any party of someone else's)."""


@dataclass
class PartyTurn:
    party: dict | None  # the state's chip for this turn: {"id", "name", "size"}, or None (one person)
    question: str | None = None  # ask which party, instead of recommending
    switched: bool = False  # this message put the conversation in party mode (or changed the party)
    left: bool = False  # this message (or a party that is gone) took it out of party mode
    members: list[Member] = field(default_factory=list)
    limits: PartyLimits | None = None
    party_names: dict[int, str] = field(default_factory=dict)  # of the user's parties, when they were read
    hint: str = ""  # said before the reply: "친구들이랑" from someone without a party learns about parties

    def took_for_a_room_name(self, room_name: str | None) -> bool:
        """The NLU read our party words as a room's name ("주말팟으로 홍대 추리 테마" → room "주말팟으로 홍대 추리")."""
        return bool(room_name) and party_words(room_name, self.party_names)


def _chip(party, size: int) -> dict:
    return {"id": party.id, "name": party.name, "size": size}


def party_turn_resolve(*, user, text: str, requested_party_id: int | None, state: dict) -> PartyTurn:
    """Which party (if any) this turn plans for."""
    if requested_party_id is not None:
        party = party_get_for_member(user=user, party_id=requested_party_id)
        if party is None:
            raise PartyNotFound("파티를 찾을 수 없습니다.")
        return _party_turn(party, switched=(state.get("party") or {}).get("id") != party.id)
    current = state.get("party") or None
    parties = list(party_list(user=user)[:50])
    names = {party.id: party.name for party in parties}
    if solo_cue(text):
        return PartyTurn(party=None, left=current is not None, party_names=names)
    named = party_named(text, names)
    if named:
        party = next(party for party in parties if party.id == named[0])
        return _party_turn(party, switched=(current or {}).get("id") != party.id, party_names=names)
    if party_cue(text) and not current:
        if len(parties) == 1:
            return _party_turn(parties[0], switched=True, party_names=names)
        if len(parties) > 1:
            listed = ", ".join(f"'{party.name}'" for party in parties[:5])
            question = f"어느 파티와 가시나요? {listed} 중에서 파티 이름을 말씀해 주시거나 파티 선택에서 골라 주세요."
            return PartyTurn(party=None, question=question, party_names=names)
        hint = "파티를 만들어 친구들을 초대하면(내 기록 › 내 파티) 모두 안 해 본 테마로, 인원에 맞춰 골라 드려요."
        return PartyTurn(party=None, party_names=names, hint=hint)
    if current:
        party = party_get_for_member(user=user, party_id=current.get("id"))
        if party is None:  # left or removed since: back to one person's plan
            return PartyTurn(party=None, left=True, party_names=names)
        return _party_turn(party, switched=False, party_names=names)
    return PartyTurn(party=None, party_names=names)


def _party_turn(party, *, switched: bool, party_names: dict[int, str] | None = None) -> PartyTurn:
    member_ids = [membership.user_id for membership in party_members(party=party)]
    members = party_members_load(user_ids=member_ids)
    return PartyTurn(
        party=_chip(party, len(members)),
        switched=switched,
        members=members,
        limits=party_limits(members=members),
        party_names=party_names or {},
    )


def filters_for_turn(*, user_id: int, filters: RoomSearchFilters, party: PartyTurn) -> RoomSearchFilters:
    """The state's filters plus what the play log and the party rule out (inside both search legs)."""
    if party.limits is not None:
        return party.limits.apply(filters)
    played = played_room_ids(user_ids=[user_id])
    if not played:
        return filters
    excluded = tuple(sorted({*filters.exclude_ids, *played}))
    return dataclasses.replace(filters, exclude_ids=excluded)


def rooms_group_order(*, party: PartyTurn, rooms: list[Room]) -> list[Room]:
    by_id = {room.id: room for room in rooms}
    return [by_id[room_id] for room_id in group_rerank(members=party.members, room_ids=list(by_id))]


def _topic(name: str) -> str:
    """'폐병원 403호' + 는, '셜록의 서재' + 는, '검은 숲의 의식' + 은: the particle the name's last sound takes."""
    last = name.rstrip()[-1:] if name.strip() else ""
    if "가" <= last <= "힣":
        return f"'{name}'{'은' if (ord(last) - 0xAC00) % 28 else '는'}"
    return f"'{name}'은(는)"


def played_note(
    *, user_id: int, query: str, filters: RoomSearchFilters, party: PartyTurn, limit: int, noted: list[int]
) -> tuple[str, list[int]]:
    """The one-time note about played rooms that would have ranked among the `limit` shown, and the room ids the
    session has now been told about. `filters` are the state's, before the play log's exclusions."""
    players = {member.user_id: member.name for member in party.members} or {user_id: ""}
    played_by: dict[int, list[int]] = {}
    for member_id in players:
        for room_id in played_room_ids(user_ids=[member_id]):
            played_by.setdefault(room_id, []).append(member_id)
    if party.limits is not None:  # the party's other limits stay: only the play log is lifted
        filters = dataclasses.replace(party.limits.apply(filters), exclude_ids=filters.exclude_ids)
    candidates = set(played_by) - set(noted)
    if not candidates or not room_list(filters=filters).filter(id__in=candidates).exists():
        return "", noted
    top = [hit.room for hit in room_search_hybrid(query=query, filters=filters, limit=limit)]
    hidden = [room for room in top if room.id in candidates]
    if not hidden:
        return "", noted
    mine = [room for room in hidden if user_id in played_by[room.id]]
    theirs = [room for room in hidden if user_id not in played_by[room.id]]
    parts = []
    if mine:
        listed = "".join(f"'{room.name}', " for room in mine[:-1]) + _topic(mine[-1].name)
        parts.append(f"이미 플레이하신 {listed} 뺐어요.")
    for room in theirs:
        names = ", ".join(f"{players[member_id]}님" for member_id in played_by[room.id] if players.get(member_id))
        parts.append(f"{names}이 해 본 {_topic(room.name)} 뺐어요.")
    return " ".join(parts), [*noted, *(room.id for room in hidden)]


def party_line(party: PartyTurn) -> str:
    """What the reply says about the party's limits ("파티 '목요일팟' 3명 모두 안 해 본 테마로, 공포 제외")."""
    if party.party is None or party.limits is None:
        return party.hint
    limits = party.limits
    details = [f"{party.party['size']}명이 함께 할 수 있는"]
    if limits.exclude_genres:
        details.append(f"{'·'.join(limits.exclude_genres)} 제외")
    if limits.max_fear is not None:
        details.append(f"공포도 {limits.max_fear} 이하")
    return f"파티 '{party.party['name']}' 모두 안 해 본 테마로 골랐어요 ({', '.join(details)})."
