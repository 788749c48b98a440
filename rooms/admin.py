from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import Q
from django.utils.html import format_html

from rooms.admin_slots import room_slot_calendar_link
from rooms.models import Review, Room, Store
from rooms.services import (
    review_delete,
    rooms_after_change,
    rooms_embedding_queue,
    rooms_search_vector_refresh,
    rooms_set_active,
    store_save,
)
from rooms.vocabulary import GENRE_CHOICES


class GenreListFilter(admin.SimpleListFilter):
    title = "장르"
    parameter_name = "genre"

    def lookups(self, request, model_admin):
        return GENRE_CHOICES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(genres__contains=[self.value()])
        return queryset


class EmbeddingStatusFilter(admin.SimpleListFilter):
    title = "임베딩 상태"
    parameter_name = "embedding"

    def lookups(self, request, model_admin):
        return [("ready", "최신"), ("dirty", "갱신 대기"), ("missing", "없음")]

    def queryset(self, request, queryset):
        if self.value() == "ready":
            return queryset.filter(embedding__isnull=False, embedding_dirty=False)
        if self.value() == "dirty":
            return queryset.filter(Q(embedding_dirty=True) & Q(embedding__isnull=False))
        if self.value() == "missing":
            return queryset.filter(embedding__isnull=True)
        return queryset


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    fields = ("user", "rating", "escaped", "hints_used", "played_on", "text", "created_at")
    readonly_fields = ("user", "rating", "escaped", "hints_used", "played_on", "text", "created_at")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        # Reviews come from players through the API, which keeps the room's rating exact.
        return False


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "phone", "room_count")
    list_filter = ("region",)
    search_fields = ("name", "address")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="테마 수")
    def room_count(self, store):
        return store.rooms.count()

    def save_model(self, request, obj, form, change):
        # Through the service: a region or name change reaches the rooms' search text and embeddings.
        store_save(store=obj)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    # Few, narrow columns (the name with its store under it; level columns merged), and a stylesheet that keeps
    # Korean words whole: the list stays readable on a laptop.
    list_display = (
        "name_and_store",
        "region",
        "genre_list",
        "levels",
        "players",
        "price",
        "rating",
        "review_count",
        "is_active",
        "embedding_status",
        "slot_calendar",
    )
    list_filter = ("region", GenreListFilter, "difficulty", "is_active", EmbeddingStatusFilter)
    search_fields = ("name", "store__name", "description")
    list_select_related = ("store",)
    readonly_fields = ("region", "rating", "review_count", "embedding_status", "embedded_at", "slot_calendar")
    fields = (
        "store",
        "name",
        "region",
        "genres",
        ("difficulty", "fear", "activity"),
        ("min_players", "max_players"),
        ("duration_minutes", "price"),
        "description",
        "is_active",
        ("rating", "review_count"),
        ("embedding_status", "embedded_at"),
        "slot_calendar",
    )
    inlines = [ReviewInline]
    actions = ["queue_embedding", "activate", "deactivate"]
    list_per_page = 50

    class Media:
        css = {"all": ("css/admin_rooms.css",)}

    @admin.display(description="테마 · 업체", ordering="name")
    def name_and_store(self, room):
        return format_html("<strong>{}</strong><small>{}</small>", room.name, room.store.name)

    @admin.display(description="난이도·공포")
    def levels(self, room):
        return f"{room.difficulty} · {room.fear}"

    @admin.display(description="회차")
    def slot_calendar(self, room):
        return room_slot_calendar_link(room) if room.pk else "-"

    @admin.display(description="장르")
    def genre_list(self, room):
        return ", ".join(room.genres)

    @admin.display(description="인원")
    def players(self, room):
        return f"{room.min_players}-{room.max_players}인"

    @admin.display(description="임베딩")
    def embedding_status(self, room):
        if room.embedding is None:
            return "없음 (대기 중)" if room.embedding_dirty else "없음"
        return "갱신 대기" if room.embedding_dirty else "최신"

    def save_model(self, request, obj, form, change):
        obj.region = obj.store.region
        text_changed = not change or bool({"name", "genres", "description", "store"} & set(form.changed_data))
        with transaction.atomic():
            obj.save()
            rooms_after_change(room_ids=[obj.id], text_changed=text_changed or obj.embedding is None)

    @admin.action(description="선택한 테마 다시 임베딩")
    def queue_embedding(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        with transaction.atomic():
            rooms_search_vector_refresh(room_ids=ids)
            # Forget the stored source, so the task recomputes instead of finding nothing to do.
            Room.objects.filter(id__in=ids).update(embedding_source="")
            rooms_embedding_queue(room_ids=ids)
        self.message_user(request, f"{len(ids)}개 테마의 임베딩을 다시 계산하도록 예약했습니다.", messages.SUCCESS)

    @admin.action(description="선택한 테마 운영 시작")
    def activate(self, request, queryset):
        changed = rooms_set_active(room_ids=list(queryset.values_list("id", flat=True)), active=True)
        self.message_user(request, f"{changed}개 테마를 운영 중으로 바꿨습니다.", messages.SUCCESS)

    @admin.action(description="선택한 테마 운영 중지")
    def deactivate(self, request, queryset):
        changed = rooms_set_active(room_ids=list(queryset.values_list("id", flat=True)), active=False)
        self.message_user(request, f"{changed}개 테마를 운영 중지로 바꿨습니다.", messages.SUCCESS)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("room", "user", "rating", "escaped", "hints_used", "played_on", "created_at")
    list_filter = ("rating", "escaped")
    search_fields = ("room__name", "user__username", "text")
    list_select_related = ("room", "room__store", "user")
    readonly_fields = ("user", "room", "rating", "created_at", "updated_at")

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        review_delete(review=obj)

    def delete_queryset(self, request, queryset):
        for review in queryset:
            review_delete(review=review)
