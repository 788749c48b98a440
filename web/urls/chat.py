from django.urls import path

from web.views.chat import chat_home_view

urlpatterns = [
    path("", chat_home_view, name="chat-home"),
]
