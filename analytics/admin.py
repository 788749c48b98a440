from django.contrib import admin

from analytics.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: events are facts; the rollups depend on them staying as stored."""

    list_display = ["occurred_at", "type", "user", "chat_session_id", "event_id"]
    list_filter = ["type"]
    search_fields = ["event_id"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["user"]
    show_full_result_count = False  # counting millions of rows on every page is slow

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
