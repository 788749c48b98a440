from django.contrib import admin

from chat.models import ChatMessage, ChatSession, RecommendationFeedback


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    extra = 0
    can_delete = False
    fields = ("created_at", "role", "text", "intent", "recommended_room_ids", "latency_ms", "provider", "fallback")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "title", "created_at", "updated_at")
    search_fields = ("title", "user__username")
    readonly_fields = ("user", "title", "state", "created_at", "updated_at")
    inlines = [ChatMessageInline]
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False


@admin.register(RecommendationFeedback)
class RecommendationFeedbackAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "room", "kind", "message", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("user", "message", "room", "kind", "created_at")
    list_select_related = ("user", "room")

    def has_add_permission(self, request):
        return False
