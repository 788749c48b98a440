"""WebSocket routes of every app (apps add theirs here)."""

websocket_urlpatterns: list = []
