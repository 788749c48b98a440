from django.urls import path

from web.views.plays import (
    my_play_delete_view,
    my_play_edit_view,
    my_plays_import_view,
    my_plays_view,
    parties_view,
    party_create_view,
    party_detail_view,
    party_join_view,
    party_leave_view,
    party_member_remove_view,
)

# The pages end in a slash; the API's paths (/me/plays, /parties) do not (plays.urls).
urlpatterns = [
    path("me/plays/", my_plays_view, name="my-plays"),
    path("me/plays/import/", my_plays_import_view, name="my-plays-import"),
    path("me/plays/<int:play_id>/edit/", my_play_edit_view, name="my-play-edit"),
    path("me/plays/<int:play_id>/delete/", my_play_delete_view, name="my-play-delete"),
    path("me/parties/", parties_view, name="parties"),
    path("me/parties/new/", party_create_view, name="party-create"),
    path("me/parties/join/", party_join_view, name="party-join"),
    path("me/parties/<int:party_id>/", party_detail_view, name="party-detail"),
    path("me/parties/<int:party_id>/leave/", party_leave_view, name="party-leave"),
    path(
        "me/parties/<int:party_id>/members/<int:user_id>/remove/",
        party_member_remove_view,
        name="party-member-remove",
    ),
]
