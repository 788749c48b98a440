from django.urls import path

from escape_ai.views import trailing_slash_redirect
from rooms.apis import RoomDetailApi, RoomListApi, RoomReviewsApi, RoomSlotsApi

# One path per operation: `reviews` is spelled without the slash; the slashed spelling answers 308 to it
# (method and body kept), so old clients still work and the schema has no duplicates. `search` (the same, at
# /rooms/search) is routed by plays.urls: for a signed-in user it leaves out the rooms they have played.
urlpatterns = [
    path("", RoomListApi.as_view(), name="room-list"),
    path("<int:room_id>/", RoomDetailApi.as_view(), name="room-detail"),
    path("<int:room_id>/reviews", RoomReviewsApi.as_view(), name="room-reviews"),
    path("<int:room_id>/reviews/", trailing_slash_redirect),
    path("<int:room_id>/slots", RoomSlotsApi.as_view(), name="room-slots"),
    path("<int:room_id>/slots/", trailing_slash_redirect),
]
