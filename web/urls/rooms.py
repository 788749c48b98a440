from django.urls import path

from rooms.apis import RoomDetailApi, RoomListApi
from web.negotiation import page_or_api
from web.views.plays import rooms_played_view
from web.views.rooms import (
    rooms_booking_click_view,
    rooms_browse_view,
    rooms_detail_view,
    rooms_recommendation_click_view,
    rooms_review_view,
)

# The same paths as the rooms API (see escape_ai/urls.py): browsers get the pages, other clients the API.
urlpatterns = [
    path("", page_or_api(rooms_browse_view, RoomListApi.as_view()), name="rooms-browse"),
    path("<int:room_id>/", page_or_api(rooms_detail_view, RoomDetailApi.as_view()), name="rooms-detail"),
    path("<int:room_id>/review/", rooms_review_view, name="rooms-review"),
    path("<int:room_id>/played/", rooms_played_view, name="rooms-played"),
    path("<int:room_id>/click", rooms_recommendation_click_view, name="rooms-recommendation-click"),
    path("<int:room_id>/booking-click", rooms_booking_click_view, name="rooms-booking-click"),
]
