from django.urls import path

from chat.consumers import ChatConsumer
from chat.ws_auth import ChatAuthMiddlewareStack

websocket_urlpatterns = [
    path("ws/chat/", ChatAuthMiddlewareStack(ChatConsumer.as_asgi())),
]
