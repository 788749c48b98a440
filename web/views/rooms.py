"""Room pages: browse and search with filters, and a room's detail with its reviews and review form."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from chat.services import ChatError, recommendation_feedback_record
from plays.models import Play
from plays.selectors import played_room_ids
from rooms.models import Review
from rooms.selectors.rooms import room_get, room_list
from rooms.selectors.search import room_search_hybrid
from rooms.selectors.slots import room_slots_open
from rooms.services import review_upsert, room_view_record
from web.forms.rooms import ReviewForm, RoomFilterForm

PAGE_SIZE = 24
CARD_SLOTS = 3  # open slots a card shows in the asked window
ROOM_PAGE_SLOTS = 8  # the next open slots a room's page lists
ROOM_PAGE_SLOT_DAYS = 14


@require_GET
def rooms_browse_view(request: HttpRequest) -> HttpResponse:
    form = RoomFilterForm(request.GET or None)
    hits, has_more, more_query, status = [], False, "", 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        if not form.is_bound:
            form = RoomFilterForm({})
            form.is_valid()
        page = form.cleaned_data.get("page") or 1
        # The same hybrid search the chat uses; one more row than shown tells whether there is more.
        limit = PAGE_SIZE * page
        filters = form.search_filters()
        hits = room_search_hybrid(query=form.cleaned_data["q"], filters=filters, limit=limit + 1)
        has_more = len(hits) > limit
        hits = hits[:limit]
        if filters.available_from is not None or filters.available_to is not None:
            # Each card shows up to three open slots in the window, each linking to its booking page.
            slots = room_slots_open(
                room_ids=[hit.room.id for hit in hits],
                start=filters.available_from,
                end=filters.available_to,
                per_room=CARD_SLOTS,
            )
            for hit in hits:
                hit.room.open_slots = slots.get(hit.room.id, [])
        if has_more:
            query = request.GET.copy()
            query["page"] = str(page + 1)
            more_query = query.urlencode()
    if request.user.is_authenticated and hits:
        played = played_room_ids(user_ids=[request.user.id])
        for hit in hits:
            hit.room.played = hit.room.id in played
    # Browsing by conditions alone has an exact total; a text search ranks by relevance and shows the best.
    total = None
    if status == 200 and not form.cleaned_data.get("q"):
        total = room_list(filters=form.search_filters()).count()
    context = {"form": form, "hits": hits, "has_more": has_more, "more_query": more_query, "total": total}
    return render(request, "rooms/browse.html", context, status=status)


def room_detail_context(request: HttpRequest, room, review_form: ReviewForm | None = None, play_form=None) -> dict:
    """A room's page: its reviews, my review and my play of it, with their forms."""
    from web.forms.plays import PlayForm

    my_review = my_play = None
    if request.user.is_authenticated:
        my_review = Review.objects.filter(user=request.user, room=room).first()
        my_play = Play.objects.filter(user=request.user, room=room).first()
    if review_form is None:
        initial = {}
        if my_review is not None:
            initial = {
                "rating": my_review.rating,
                "text": my_review.text,
                "hints_used": my_review.hints_used,
                "played_on": my_review.played_on,
                "escaped": my_review.escaped,
            }
        elif my_play is not None:  # a review of a room played: start from the play's details
            initial = {"hints_used": my_play.hints_used, "played_on": my_play.played_on, "escaped": my_play.escaped}
        review_form = ReviewForm(initial=initial)
    if play_form is None:
        fields = ("played_on", "escaped", "hints_used", "minutes_left", "players", "note")
        initial = {name: getattr(my_play, name) for name in fields} if my_play else {"played_on": timezone.localdate()}
        play_form = PlayForm(initial=initial)
    reviews = room.reviews.select_related("user").order_by("-created_at", "-id")[:50]
    next_slots = room_slots_open(
        room_ids=[room.id],
        start=None,
        end=timezone.now() + timedelta(days=ROOM_PAGE_SLOT_DAYS),
        per_room=ROOM_PAGE_SLOTS,
    ).get(room.id, [])
    return {
        "room": room,
        "next_slots": next_slots,
        "reviews": reviews,
        "my_review": my_review,
        "review_form": review_form,
        "my_play": my_play,
        "play_form": play_form,
    }


@require_GET
def rooms_detail_view(request: HttpRequest, room_id: int) -> HttpResponse:
    room = room_get(room_id=room_id)
    if room is None:
        raise Http404("테마를 찾을 수 없습니다.")
    room_view_record(room=room, user_id=request.user.id if request.user.is_authenticated else None)
    return render(request, "rooms/detail.html", room_detail_context(request, room))


@require_POST
def rooms_recommendation_click_view(request: HttpRequest, room_id: int) -> HttpResponse:
    """The chat page's beacon (`navigator.sendBeacon`) when a recommended room's link is followed: the click
    is stored once, with its event, by the same service the API's feedback endpoint calls."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "로그인이 필요합니다."}, status=401)
    raw = request.POST.get("message_id", "")
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        return JsonResponse({"detail": "message_id가 올바르지 않습니다."}, status=400)
    try:
        recommendation_feedback_record(user=request.user, message_id=int(raw), room_id=room_id, kind="clicked")
    except ChatError as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status)
    return HttpResponse(status=204)


@require_POST
@login_required
def rooms_review_view(request: HttpRequest, room_id: int) -> HttpResponse:
    room = room_get(room_id=room_id)
    if room is None:
        raise Http404("테마를 찾을 수 없습니다.")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return render(request, "rooms/detail.html", room_detail_context(request, room, form), status=400)
    _review, created = review_upsert(user=request.user, room=room, **form.cleaned_data)
    messages.success(request, "후기를 등록했어요." if created else "후기를 고쳤어요.")
    return redirect(reverse("rooms-detail", args=[room.id]) + "#reviews")
