"""Room pages: browse and search with filters, and a room's detail with its reviews."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def rooms_browse_view(request: HttpRequest) -> HttpResponse:
    return render(request, "rooms/browse.html", {"hits": []})


@require_GET
def rooms_detail_view(request: HttpRequest, room_id: int) -> HttpResponse:
    return render(request, "rooms/detail.html", {})
