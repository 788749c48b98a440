"""One URL, two audiences: a browser navigating gets the HTML page, any other client gets the API.

The site's room pages and the rooms API share `/rooms/` and `/rooms/<id>/`. A browser navigation asks
for `text/html` and carries no bearer token; API clients send `Accept: application/json` (or nothing,
or `*/*` from fetch) and often a JWT. Everything but a GET/HEAD for HTML goes to the API view unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt


def wants_html(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or request.headers.get("Authorization"):
        return False
    accept = request.headers.get("Accept", "")
    return "text/html" in accept or "application/xhtml+xml" in accept


def page_or_api(page_view: Callable[..., HttpResponse], api_view: Callable[..., HttpResponse]):
    # csrf_exempt like DRF's own views: the API enforces CSRF itself for session-authenticated
    # writes, and the pages behind this are GET-only.
    @csrf_exempt
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        target = page_view if wants_html(request) else api_view
        response = target(request, *args, **kwargs)
        patch_vary_headers(response, ("Accept", "Authorization"))
        return response

    view.page_view = page_view
    view.api_view = api_view
    return view
