from django.urls import path

from chat.apis import ChatApi, RecommendationFeedbackApi, SessionDetailApi, SessionListApi, WsTicketApi

urlpatterns = [
    path("", ChatApi.as_view(), name="chat"),
    path("ws-ticket", WsTicketApi.as_view(), name="chat-ws-ticket"),
    path("sessions/", SessionListApi.as_view(), name="chat-sessions"),
    path("sessions/<int:session_id>/", SessionDetailApi.as_view(), name="chat-session"),
    path(
        "recommendations/<int:message_id>/feedback",
        RecommendationFeedbackApi.as_view(),
        name="chat-recommendation-feedback",
    ),
]
