from django.urls import path

from rooms.apis import RoomDetailApi, RoomListApi, RoomReviewsApi, RoomSearchApi

urlpatterns = [
    path("", RoomListApi.as_view(), name="room-list"),
    path("search", RoomSearchApi.as_view(), name="room-search"),
    path("search/", RoomSearchApi.as_view()),
    path("<int:room_id>/", RoomDetailApi.as_view(), name="room-detail"),
    path("<int:room_id>/reviews", RoomReviewsApi.as_view(), name="room-reviews"),
    path("<int:room_id>/reviews/", RoomReviewsApi.as_view()),
]
