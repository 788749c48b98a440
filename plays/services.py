"""Writes of the play log and of parties, with their events. Bad input raises DRF's exceptions (the API's error
shape comes from them; the pages show their messages)."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from analytics.services import EventRejected, event_record
from escape_ai.exceptions import Conflict
from plays.models import (
    HINTS_MAX,
    INVITE_CODE_ALPHABET,
    INVITE_CODE_LENGTH,
    MINUTES_MAX,
    NOTE_MAX_LENGTH,
    PARTIES_PER_USER_MAX,
    PARTY_MAX_MEMBERS,
    PARTY_NAME_MAX_LENGTH,
    Party,
    PartyMember,
    Play,
)
from plays.selectors import party_by_invite_code, user_party_count
from plays.signals import play_logged
from rooms.models import Room

PLAY_FIELDS = ("played_on", "escaped", "hints_used", "minutes_left", "clear_minutes", "players", "note")
PARTY_NOT_FOUND = "파티를 찾을 수 없습니다."


# --- the play log ------------------------------------------------------------------------------


def play_fields_errors(fields: dict) -> dict[str, list[str]]:
    """Korean messages for values a play cannot have (the API's serializers say the same; the CSV import and
    the services check here)."""
    errors: dict[str, list[str]] = {}
    played_on = fields.get("played_on")
    if "played_on" in fields and not isinstance(played_on, date):
        errors["played_on"] = ["플레이한 날을 YYYY-MM-DD 형식으로 입력해 주세요."]
    elif isinstance(played_on, date) and played_on > timezone.localdate():
        errors["played_on"] = ["플레이한 날은 오늘 이후일 수 없습니다."]
    hints = fields.get("hints_used")
    if hints is not None and not 0 <= hints <= HINTS_MAX:
        errors["hints_used"] = [f"힌트 수는 0~{HINTS_MAX} 사이여야 합니다."]
    for name, label, low in (("minutes_left", "남은 시간", 0), ("clear_minutes", "걸린 시간", 1)):
        value = fields.get(name)
        if value is not None and not low <= value <= MINUTES_MAX:
            errors[name] = [f"{label}은 {low}~{MINUTES_MAX}분 사이여야 합니다."]
    players = fields.get("players")
    if players is not None and not 1 <= players <= 20:
        errors["players"] = ["인원은 1~20명 사이여야 합니다."]
    if len(fields.get("note") or "") > NOTE_MAX_LENGTH:
        errors["note"] = [f"메모는 {NOTE_MAX_LENGTH}자 이하로 적어 주세요."]
    return errors


def _play_logged_event(play: Play, room: Room) -> None:
    # Analytics never breaks the log (a rejected event is counted by analytics itself).
    with contextlib.suppress(EventRejected):
        event_record(
            type="play.logged",
            user_id=play.user_id,
            payload={
                "room_id": room.id,
                "region": room.region,
                "genres": list(room.genres),
                "escaped": play.escaped,
                "hints_used": play.hints_used,
                "source": play.source,
            },
        )


def _play_fields_clean(fields: dict, *, played_on_required: bool) -> dict:
    """A play's fields checked as every way of logging one checks them (Korean messages); a missing note is ""."""
    unknown = set(fields) - set(PLAY_FIELDS)
    if unknown:
        raise TypeError(f"unknown play fields: {sorted(unknown)}")
    if played_on_required and fields.get("played_on") is None:
        raise ValidationError({"played_on": ["플레이한 날을 입력해 주세요."]})
    errors = play_fields_errors(fields)
    if errors:
        raise ValidationError(errors)
    if "note" in fields and fields["note"] is None:
        return {**fields, "note": ""}
    return fields


@transaction.atomic
def play_log(*, user, room: Room, source: str = Play.Source.MANUAL, **fields) -> tuple[Play, bool]:
    """Record that the user played the room, or update the record (a replay): (play, created).

    One record per user and room, however many times and from wherever it is logged; a new record is one
    `play.logged` event.
    """
    fields = _play_fields_clean(fields, played_on_required=True)
    play = Play.objects.select_for_update().filter(user=user, room=room).first()
    created = play is None
    if created:
        play = Play(user=user, room=room, source=source)
    for name, value in fields.items():
        setattr(play, name, value)
    try:
        with transaction.atomic():
            play.save()
    except IntegrityError:  # the same play logged at the same moment elsewhere: update that one instead
        play = Play.objects.select_for_update().get(user=user, room=room)
        created = False
        for name, value in fields.items():
            setattr(play, name, value)
        play.save()
    if created:
        _play_logged_event(play, room)
        play_logged.send(sender=Play, play=play)
    return play, created


@transaction.atomic
def play_update(*, play: Play, **fields) -> Play:
    fields = _play_fields_clean(fields, played_on_required="played_on" in fields)
    for name, value in fields.items():
        setattr(play, name, value)
    play.save()
    return play


def play_delete(*, play: Play) -> None:
    play.delete()


def play_record_for_review(*, review) -> Play:
    """A review means its writer played the room: log the play when there is none, and keep a play that came
    from the review in step with it (a play logged directly keeps its own details)."""
    room = review.room
    played_on = review.played_on or timezone.localdate()
    play = Play.objects.select_for_update().filter(user_id=review.user_id, room_id=room.id).first()
    if play is None:
        play, _ = play_log(
            user=review.user,
            room=room,
            source=Play.Source.REVIEW,
            played_on=played_on,
            escaped=review.escaped,
            hints_used=review.hints_used,
        )
    elif play.source == Play.Source.REVIEW:
        play.played_on = played_on
        play.escaped = review.escaped
        play.hints_used = review.hints_used
        play.save(update_fields=["played_on", "escaped", "hints_used", "updated_at"])
    return play


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    plays: list[Play] = field(default_factory=list)


@transaction.atomic
def plays_import(*, user, text: str) -> ImportOutcome:
    """Import a personal log from CSV (`room name, store name, played_on, escaped, hints`): every row or none.

    Rows are matched to rooms by trigram similarity of their names (plays.importing). Any row that cannot be
    read or matched fails the whole import with a `PlaysImportInvalid` listing each bad line.
    """
    from plays.importing import plays_csv_resolve

    resolved = plays_csv_resolve(text=text)
    outcome = ImportOutcome()
    for row in resolved:
        play, created = play_log(
            user=user,
            room=row.room,
            source=Play.Source.IMPORT,
            played_on=row.played_on,
            escaped=row.escaped,
            hints_used=row.hints_used,
        )
        outcome.plays.append(play)
        if created:
            outcome.created += 1
        else:
            outcome.updated += 1
    return outcome


# --- parties -----------------------------------------------------------------------------------


def invite_code_normalize(raw: str) -> str:
    """What people type for a code ("k7m2-qx9p ") as it is stored ("K7M2QX9P")."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def _invite_code_new() -> str:
    return "".join(secrets.choice(INVITE_CODE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


def _party_name_clean(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationError({"name": ["파티 이름을 입력해 주세요."]})
    if len(cleaned) > PARTY_NAME_MAX_LENGTH:
        raise ValidationError({"name": [f"파티 이름은 {PARTY_NAME_MAX_LENGTH}자 이하로 입력해 주세요."]})
    return cleaned


def _parties_limit_check(user) -> None:
    if user_party_count(user=user) >= PARTIES_PER_USER_MAX:
        raise Conflict(
            {"party": [f"파티는 {PARTIES_PER_USER_MAX}개까지 참여할 수 있어요. 안 쓰는 파티에서 나와 주세요."]}
        )


@transaction.atomic
def party_create(*, user, name: str, invite_code: str | None = None) -> Party:
    """A new party with its owner as the first member and an invite code nobody else has."""
    name = _party_name_clean(name)
    _parties_limit_check(user)
    for _attempt in range(8):
        code = invite_code or _invite_code_new()
        try:
            with transaction.atomic():
                party = Party.objects.create(name=name, owner=user, invite_code=code)
            break
        except IntegrityError:
            if invite_code:  # a code given by the caller (the demo) is taken: nothing to retry
                raise Conflict({"invite_code": ["이미 쓰이는 초대 코드입니다."]}) from None
    else:  # 31^8 codes: eight collisions in a row mean something else is wrong
        raise RuntimeError("could not find a free invite code")
    PartyMember.objects.create(party=party, user=user)
    event_record(type="party.created", user_id=user.id, payload={"party_id": party.id})
    return party


@transaction.atomic
def party_join(*, user, invite_code: str) -> tuple[Party, bool]:
    """Join the party of this invite code: (party, joined now). Joining a party one is in changes nothing."""
    code = invite_code_normalize(invite_code)
    party = party_by_invite_code(code=code) if len(code) == INVITE_CODE_LENGTH else None
    if party is None:
        raise NotFound("초대 코드에 맞는 파티가 없습니다. 코드를 다시 확인해 주세요.")
    party = Party.objects.select_for_update().get(id=party.id)  # joins of one party one at a time
    if PartyMember.objects.filter(party=party, user=user).exists():
        return party, False
    if PartyMember.objects.filter(party=party).count() >= PARTY_MAX_MEMBERS:
        raise Conflict({"invite_code": [f"파티 인원이 가득 찼어요 (최대 {PARTY_MAX_MEMBERS}명)."]})
    _parties_limit_check(user)
    PartyMember.objects.create(party=party, user=user)
    return party, True


@transaction.atomic
def party_member_remove(*, actor, party: Party, user_id: int) -> Party | None:
    """The owner removes a member; anyone removes themselves (leaving). Returns the party, or None when the
    last member left and the party is gone."""
    party = Party.objects.select_for_update().get(id=party.id)
    membership = PartyMember.objects.filter(party=party, user_id=user_id).first()
    if membership is None:
        raise NotFound("이 파티의 파티원이 아닙니다.")
    if user_id != actor.id and party.owner_id != actor.id:
        raise PermissionDenied("방장만 다른 파티원을 내보낼 수 있어요.")
    membership.delete()
    remaining = PartyMember.objects.filter(party=party).order_by("joined_at", "id").first()
    if remaining is None:
        party.delete()
        return None
    if party.owner_id == user_id:  # the owner left: the longest-standing member takes over
        party.owner_id = remaining.user_id
        party.save(update_fields=["owner"])
    return party


def party_leave(*, user, party: Party) -> Party | None:
    return party_member_remove(actor=user, party=party, user_id=user.id)
