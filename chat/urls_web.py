from django.urls import path

from chat.views import chat_home_view

urlpatterns = [
    path("", chat_home_view, name="chat-home"),
]
