"""내 기록 (my play log: list, filters, stats charts, CSV import), 플레이했어요 on a room's page, and the party pages
(create, join with a code, members, the party's recommendations). Session login; the same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import APIException

from ml.group import party_recommendations
from plays.importing import PlaysImportInvalid
from plays.selectors import (
    PlayFilters,
    party_get_for_member,
    party_list,
    party_members,
    play_get,
    play_list,
    play_stats,
    play_years,
)
from plays.services import (
    party_create,
    party_join,
    party_leave,
    party_member_remove,
    play_delete,
    play_log,
    play_update,
    plays_import,
)
from rooms.selectors.rooms import room_get
from web.forms.plays import (
    PartyCreateForm,
    PartyJoinForm,
    PartyRecommendationForm,
    PlayFilterForm,
    PlayForm,
    PlayImportForm,
)

PAGE_SIZE = 30
MONTHS_SHOWN = 12


def _api_message(exc: APIException) -> str:
    """The first Korean message of a service's refusal (a DRF exception: {field: [message]} or a message)."""
    detail = exc.detail
    while isinstance(detail, dict | list):
        detail = next(iter(detail.values()), "") if isinstance(detail, dict) else (detail[0] if detail else "")
    return str(detail) or "요청을 처리하지 못했어요."


# --- 내 기록 ------------------------------------------------------------------------------------


def play_charts(*, stats: dict, today=None) -> list[dict]:
    """Chart specs (static/js/charts.js) of my stats: escape rate by difficulty, genres played, plays by month
    (the last 12 months, or since the first play when that is later)."""
    return [
        {
            "id": "escape-by-difficulty",
            "title": "난이도별 탈출 성공률",
            "note": "플레이한 테마가 있는 난이도만",
            "kind": "bar",
            "unit": "%",
            "series": [
                {
                    "name": "탈출 성공률",
                    "points": [
                        {"label": f"난이도 {row['difficulty']}", "value": round(row["escape_rate"] * 100, 1)}
                        for row in stats["by_difficulty"]
                        if row["played"]
                    ],
                }
            ],
        },
        {
            "id": "genres-played",
            "title": "플레이한 장르",
            "note": "테마 하나에 장르가 여럿이면 각각 셉니다",
            "kind": "hbar",
            "unit": "",
            "series": [
                {"name": "테마 수", "points": [{"label": r["key"], "value": r["count"]} for r in stats["by_genre"]]}
            ],
        },
        {
            "id": "plays-by-month",
            "title": "월별 플레이",
            "note": "최근 12개월",
            "kind": "bar",
            "unit": "",
            "series": [{"name": "플레이", "points": _months_points(stats["by_month"], today or timezone.localdate())}],
        },
    ]


def _months_points(by_month: list[dict], today) -> list[dict]:
    """Every month from the first play (at most 12 months back) to this month, zeros included."""
    counts = {row["key"]: row["count"] for row in by_month}
    index = today.year * 12 + today.month - 1
    months = [f"{(index - back) // 12:04d}-{(index - back) % 12 + 1:02d}" for back in range(MONTHS_SHOWN - 1, -1, -1)]
    first = min(counts, default=months[-1])
    months = [month for month in months if month >= first] or months[-1:]
    return [
        {"label": _month_label(month, first=i == 0), "value": counts.get(month, 0)} for i, month in enumerate(months)
    ]


def _month_label(month: str, *, first: bool = False) -> str:
    """'2025-04' → '4월'; January and the first month carry the year ('25년 1월')."""
    year, number = month.split("-")
    return f"{year[2:]}년 {int(number)}월" if first or number == "01" else f"{int(number)}월"


def _plays_context(request: HttpRequest, *, import_form=None, import_problems=None) -> tuple[dict, int]:
    user = request.user
    form = PlayFilterForm(request.GET or None, years=play_years(user=user))
    filters, status = PlayFilters(), 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            filters = PlayFilters(region=data["region"] or None, genre=data["genre"] or None, year=data["year"])
        else:
            status = 400
    page = Paginator(play_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for play in page:  # each row's own 고치기 form, its field ids its own
        fields = ("played_on", "escaped", "hints_used", "minutes_left", "players", "note")
        play.edit_form = PlayForm(initial={name: getattr(play, name) for name in fields}, auto_id=f"play{play.id}_%s")
    stats = play_stats(user=user)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": form,
        "page": page,
        "filter_query": query.urlencode(),
        "filtered": filters != PlayFilters(),
        "stats": stats,
        "charts": play_charts(stats=stats) if stats["rooms_played"] else [],
        "import_form": import_form or PlayImportForm(),
        "import_problems": import_problems,
        "parties": list(party_list(user=user)[:10]),
    }
    return context, status


@login_required
@require_GET
def my_plays_view(request: HttpRequest) -> HttpResponse:
    context, status = _plays_context(request)
    return render(request, "plays/plays.html", context, status=status)


@login_required
@require_POST
def my_plays_import_view(request: HttpRequest) -> HttpResponse:
    form = PlayImportForm(request.POST, request.FILES)
    problems = None
    if form.is_valid():
        try:
            outcome = plays_import(user=request.user, text=form.cleaned_data["csv"])
        except PlaysImportInvalid as invalid:
            form.add_error(None, invalid.message)
            problems = invalid.problems
        else:
            total = outcome.created + outcome.updated
            summary = f"플레이 기록 {total}개를 가져왔어요 (새로 {outcome.created}개, 고침 {outcome.updated}개)."
            messages.success(request, summary)
            return redirect("my-plays")
    context, _ = _plays_context(request, import_form=form, import_problems=problems)
    return render(request, "plays/plays.html", context, status=400)


@login_required
@require_POST
def my_play_edit_view(request: HttpRequest, play_id: int) -> HttpResponse:
    play = play_get(user=request.user, play_id=play_id)
    if play is None:
        raise Http404("플레이 기록을 찾을 수 없습니다.")
    form = PlayForm(request.POST)
    if form.is_valid():
        play_update(play=play, **form.play_fields())
        messages.success(request, f"'{play.room.name}' 기록을 고쳤어요.")
    else:
        messages.error(request, next(iter(form.errors.values()))[0])
    return redirect(reverse("my-plays") + f"#play-{play.id}")


@login_required
@require_POST
def my_play_delete_view(request: HttpRequest, play_id: int) -> HttpResponse:
    play = play_get(user=request.user, play_id=play_id)
    if play is None:
        raise Http404("플레이 기록을 찾을 수 없습니다.")
    name = play.room.name
    play_delete(play=play)
    messages.info(request, f"'{name}' 기록을 지웠어요.")
    return redirect("my-plays")


@require_POST
@login_required
def rooms_played_view(request: HttpRequest, room_id: int) -> HttpResponse:
    """플레이했어요 on a room's page: log the play (or update it, a replay) and come back to the room."""
    room = room_get(room_id=room_id)
    if room is None:
        raise Http404("테마를 찾을 수 없습니다.")
    form = PlayForm(request.POST)
    if not form.is_valid():
        from web.views.rooms import room_detail_context

        context = room_detail_context(request, room, play_form=form)
        return render(request, "rooms/detail.html", context, status=400)
    _play, created = play_log(user=request.user, room=room, **form.play_fields())
    messages.success(
        request, "플레이 기록을 남겼어요. 내 기록에서 볼 수 있어요." if created else "플레이 기록을 고쳤어요."
    )
    return redirect(reverse("rooms-detail", args=[room.id]) + "#played")


# --- parties ------------------------------------------------------------------------------------


def _parties_context(request: HttpRequest, **forms) -> dict:
    parties = list(party_list(user=request.user))
    return {
        "parties": parties,
        "create_form": forms.get("create_form") or PartyCreateForm(),
        "join_form": forms.get("join_form") or PartyJoinForm(),
    }


@login_required
@require_GET
def parties_view(request: HttpRequest) -> HttpResponse:
    return render(request, "plays/parties.html", _parties_context(request))


@login_required
@require_POST
def party_create_view(request: HttpRequest) -> HttpResponse:
    form = PartyCreateForm(request.POST)
    if form.is_valid():
        try:
            party = party_create(user=request.user, name=form.cleaned_data["name"])
        except APIException as exc:
            form.add_error("name", _api_message(exc))
        else:
            messages.success(
                request, f"'{party.name}' 파티를 만들었어요. 초대 코드 {party.invite_code}를 친구에게 알려 주세요."
            )
            return redirect("party-detail", party_id=party.id)
    return render(request, "plays/parties.html", _parties_context(request, create_form=form), status=400)


@login_required
@require_POST
def party_join_view(request: HttpRequest) -> HttpResponse:
    form = PartyJoinForm(request.POST)
    if form.is_valid():
        try:
            party, joined = party_join(user=request.user, invite_code=form.cleaned_data["invite_code"])
        except APIException as exc:
            form.add_error("invite_code", _api_message(exc))
        else:
            messages.success(
                request, f"'{party.name}' 파티에 들어왔어요." if joined else f"이미 '{party.name}' 파티원이에요."
            )
            return redirect("party-detail", party_id=party.id)
    return render(request, "plays/parties.html", _parties_context(request, join_form=form), status=400)


def _member_party(request: HttpRequest, party_id: int):
    party = party_get_for_member(user=request.user, party_id=party_id)
    if party is None:
        raise Http404("파티를 찾을 수 없습니다.")
    return party


@login_required
@require_http_methods(["GET"])
def party_detail_view(request: HttpRequest, party_id: int) -> HttpResponse:
    party = _member_party(request, party_id)
    members = party_members(party=party)
    form = PartyRecommendationForm(request.GET or None)
    status, answer = 200, None
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        answer = party_recommendations(
            party_id=party.id,
            member_ids=[member.user_id for member in members],
            requested_by=request.user.id,
            region=data.get("region") or None,
            genres=(data["genre"],) if data.get("genre") else (),
            difficulty=data.get("difficulty") or None,
            limit=6,
        )
    context = {
        "party": party,
        "members": members,
        "is_owner": party.owner_id == request.user.id,
        "form": form,
        "answer": answer,
    }
    return render(request, "plays/party.html", context, status=status)


@login_required
@require_POST
def party_leave_view(request: HttpRequest, party_id: int) -> HttpResponse:
    party = _member_party(request, party_id)
    party_leave(user=request.user, party=party)
    messages.info(request, f"'{party.name}' 파티에서 나왔어요.")
    return redirect("parties")


@login_required
@require_POST
def party_member_remove_view(request: HttpRequest, party_id: int, user_id: int) -> HttpResponse:
    party = _member_party(request, party_id)
    try:
        remaining = party_member_remove(actor=request.user, party=party, user_id=user_id)
    except APIException as exc:
        messages.error(request, _api_message(exc))
    else:
        if user_id == request.user.id or remaining is None:
            messages.info(request, f"'{party.name}' 파티에서 나왔어요.")
            return redirect("parties")
        messages.info(request, "파티원을 내보냈어요.")
    return redirect("party-detail", party_id=party.id)
