from django.contrib import admin

from ml.models import ServedModel


@admin.register(ServedModel)
class ServedModelAdmin(admin.ModelAdmin):
    """Read-only: which version each web process serves. Training and `ml_publish` write these rows."""

    list_display = ("name", "version", "run_id", "published_at")
    fields = ("name", "version", "run_id", "meta", "published_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
