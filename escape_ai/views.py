import sys

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from escape_ai.exceptions import database_busy
from escape_ai.health import services_status
from escape_ai.middleware import database_busy_response


@require_GET
def healthz(request):
    """Open to all (load balancers); says which service is down, never why in detail."""
    services = services_status()
    healthy = all(item["ok"] for item in services.values())
    body = {"status": "ok" if healthy else "unavailable", "services": services}
    if not healthy:
        body["down"] = [name for name, item in services.items() if not item["ok"]]
    return JsonResponse(body, status=200 if healthy else 503)


@csrf_exempt  # it only redirects; the view it points at makes its own checks
def trailing_slash_redirect(request, *args, **kwargs):
    """308 to the canonical path (the same without its trailing slash); method, body and query are kept."""
    target = request.path.rstrip("/")
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target, preserve_request=True)


def _wants_html(request) -> bool:
    accept = request.headers.get("Accept", "")
    return "text/html" in accept or "application/xhtml+xml" in accept


def page_not_found(request, exception):
    """No such URL: the site's page for browsers, the API's error shape for every other client."""
    if _wants_html(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"detail": "찾을 수 없습니다."}, status=404)


def server_error(request):
    """handler500: an exhausted connection pool anywhere in the request (a middleware included) is a 503;
    other crashes answer browsers with the site's page, API clients with the API's error shape."""
    if database_busy(sys.exc_info()[1]):
        return database_busy_response(request)
    if _wants_html(request):
        return defaults.server_error(request)
    return JsonResponse({"detail": "서버 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."}, status=500)
