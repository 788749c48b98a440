from django.urls import path

from escape_ai.views import trailing_slash_redirect
from plays.apis import (
    PartyDetailApi,
    PartyJoinApi,
    PartyLeaveApi,
    PartyListApi,
    PartyMemberApi,
    PlayDetailApi,
    PlayImportApi,
    PlayListApi,
    PlayStatsApi,
    RoomSearchApi,
)

# API paths without a trailing slash: `/me/plays/` (with it) is the 내 기록 page (web.urls.plays).
urlpatterns = [
    path("me/plays", PlayListApi.as_view(), name="plays-list"),
    path("me/plays/stats", PlayStatsApi.as_view(), name="plays-stats"),
    path("me/plays/import", PlayImportApi.as_view(), name="plays-import"),
    path("me/plays/<int:play_id>", PlayDetailApi.as_view(), name="plays-detail"),
    # The catalogue search, leaving out (or marking) the rooms the signed-in user has played.
    path("rooms/search", RoomSearchApi.as_view(), name="room-search"),
    path("rooms/search/", trailing_slash_redirect),
    path("parties", PartyListApi.as_view(), name="parties-list"),
    path("parties/join", PartyJoinApi.as_view(), name="parties-join"),
    path("parties/<int:party_id>", PartyDetailApi.as_view(), name="parties-detail"),
    path("parties/<int:party_id>/leave", PartyLeaveApi.as_view(), name="parties-leave"),
    path("parties/<int:party_id>/members/<int:user_id>", PartyMemberApi.as_view(), name="parties-member"),
]
