import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escape_ai.settings.base")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.ws_auth import CookieOriginValidator  # noqa: E402
from escape_ai.routing import websocket_urlpatterns  # noqa: E402
from rooms.embeddings import embed_query  # noqa: E402
from rooms.text import analyser_load  # noqa: E402

if settings.WEB_WARMUP:
    # Each web process loads the Korean analyser and the sentence encoder before it serves (seconds), so no
    # user's first message waits for them.
    analyser_load()
    embed_query("방탈출")

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The Origin must be one of ALLOWED_HOSTS for cookie connections (cross-site hijacking); API clients
        # with a token or a ticket send none.
        "websocket": CookieOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
