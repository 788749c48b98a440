from django.http import JsonResponse
from django.views.decorators.http import require_GET

from escape_ai.health import services_status


@require_GET
def healthz(request):
    """Open to all (load balancers); says which service is down, never why in detail."""
    services = services_status()
    healthy = all(item["ok"] for item in services.values())
    body = {"status": "ok" if healthy else "unavailable", "services": services}
    if not healthy:
        body["down"] = [name for name, item in services.items() if not item["ok"]]
    return JsonResponse(body, status=200 if healthy else 503)
