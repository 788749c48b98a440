"""The chat page: the conversation so far is rendered on the server, new turns stream over /ws/chat/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def chat_home_view(request: HttpRequest) -> HttpResponse:
    context = {"session": None, "history": [], "state": {}}
    return render(request, "chat/chat.html", context)
