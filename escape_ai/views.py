import sys

from django.http import JsonResponse
from django.views import defaults
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


def server_error(request, *args, **kwargs):
    """handler500: an exhausted connection pool anywhere in the request (a middleware included) is a 503."""
    if database_busy(sys.exc_info()[1]):
        return database_busy_response(request)
    return defaults.server_error(request, *args, **kwargs)
