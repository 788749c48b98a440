from django.urls import path

from escape_ai.views import trailing_slash_redirect
from rooms.apis import RoomDetailApi, RoomListApi, RoomReviewsApi, RoomSearchApi

# One path per operation: `search` and `reviews` are spelled without the slash; the slashed spelling answers
# 308 to it (method and body kept), so old clients still work and the schema has no duplicates.
urlpatterns = [
    path("", RoomListApi.as_view(), name="room-list"),
    path("search", RoomSearchApi.as_view(), name="room-search"),
    path("search/", trailing_slash_redirect),
    path("<int:room_id>/", RoomDetailApi.as_view(), name="room-detail"),
    path("<int:room_id>/reviews", RoomReviewsApi.as_view(), name="room-reviews"),
    path("<int:room_id>/reviews/", trailing_slash_redirect),
]
