from django.urls import path

from rooms.views import rooms_browse_view, rooms_detail_view, rooms_review_view

urlpatterns = [
    path("", rooms_browse_view, name="rooms-browse"),
    path("<int:room_id>/", rooms_detail_view, name="rooms-detail"),
    path("<int:room_id>/review/", rooms_review_view, name="rooms-review"),
]
