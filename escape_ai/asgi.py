import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.ws_auth import CookieOriginValidator  # noqa: E402
from escape_ai.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The Origin must be one of ALLOWED_HOSTS for cookie connections (cross-site hijacking); API clients
        # with a token or a ticket send none.
        "websocket": CookieOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
