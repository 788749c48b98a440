"""The staff insights page: the analytics drawn as charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@login_required
def staff_insights_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied("운영진만 볼 수 있는 페이지입니다.")
    return render(request, "analytics/insights.html", {})
