"""Play logs and parties for staff to look into (and remove, e.g. on a user's request). Users write them through
the services (the API and the pages), which keep one record per room and record the events; so no adding or
editing here."""

from django.contrib import admin
from django.db.models import Count

from plays.models import Party, PartyMember, Play


@admin.register(Play)
class PlayAdmin(admin.ModelAdmin):
    list_display = ("user", "room", "played_on", "escaped", "hints_used", "players", "source", "created_at")
    list_filter = ("source", "escaped", "room__region")
    search_fields = ("user__username", "room__name", "room__store__name")
    date_hierarchy = "played_on"
    list_select_related = ("user", "room", "room__store")
    readonly_fields = (
        "user",
        "room",
        "played_on",
        "escaped",
        "hints_used",
        "minutes_left",
        "clear_minutes",
        "players",
        "note",
        "source",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request):
        return False


class PartyMemberInline(admin.TabularInline):
    model = PartyMember
    fields = ("user", "joined_at")
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "invite_code", "member_count", "created_at")
    search_fields = ("name", "invite_code", "owner__username", "memberships__user__username")
    readonly_fields = ("name", "owner", "invite_code", "created_at")
    inlines = [PartyMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner").annotate(members=Count("memberships"))

    @admin.display(description="파티원 수", ordering="members")
    def member_count(self, party) -> int:
        return party.members

    def has_add_permission(self, request):
        return False
