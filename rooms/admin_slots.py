"""Admin for time slots: the slot list (filters, bulk open/close), each room's slot calendar, and staff imports
(a catalogue CSV/JSON in import_rooms' format, or a slot feed) with a preview before anything is written.

Imported from rooms.admin, so Django's admin autodiscovery registers it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from rooms.catalog_import import MAX_FILE_BYTES, upload_text_read
from rooms.imports import ImportFileError, ImportInvalid, ImportReport, ImportStale, catalogue_import, slot_feed_import
from rooms.models import Room, TimeSlot
from rooms.selectors.slots import room_slots_by_day
from rooms.slot_services import slots_set_status

IMPORT_CACHE_SECONDS = 3600
CALENDAR_DAYS = 14


class SlotDayFilter(admin.SimpleListFilter):
    title = "날짜"
    parameter_name = "day"

    def lookups(self, request, model_admin):
        return [("today", "오늘"), ("tomorrow", "내일"), ("week", "7일 안"), ("past", "지난 회차")]

    def queryset(self, request, queryset):
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        spans = {
            "today": (today, today + timedelta(days=1)),
            "tomorrow": (today + timedelta(days=1), today + timedelta(days=2)),
            "week": (timezone.now(), today + timedelta(days=8)),
        }
        if self.value() in spans:
            start, end = spans[self.value()]
            return queryset.filter(starts_at__gte=start, starts_at__lt=end)
        if self.value() == "past":
            return queryset.filter(starts_at__lt=timezone.now())
        return queryset


class SlotStatusActions:
    """Bulk open/close through the service (the one way staff reopen a booked slot)."""

    def _set(self, request, ids, status: str, label: str) -> None:
        changed = slots_set_status(slot_ids=[int(i) for i in ids], status=status)
        self.message_user(request, f"{changed}개 회차를 '{label}'(으)로 바꿨습니다.", messages.SUCCESS)


@admin.register(TimeSlot)
class TimeSlotAdmin(SlotStatusActions, admin.ModelAdmin):
    list_display = ("starts_at_local", "room", "status", "price", "source", "fetched_at", "archived")
    list_filter = ("status", SlotDayFilter, "archived", "room__region", "source")
    search_fields = ("room__name", "room__store__name")
    list_select_related = ("room", "room__store")
    raw_id_fields = ("room",)
    readonly_fields = ("source", "fetched_at", "archived", "created_at", "updated_at")
    date_hierarchy = "starts_at"
    actions = ["open_slots", "close_slots", "book_slots"]
    list_per_page = 100

    @admin.display(description="시작 시각", ordering="starts_at")
    def starts_at_local(self, slot):
        return timezone.localtime(slot.starts_at).strftime("%Y-%m-%d (%a) %H:%M")

    @admin.action(description="선택한 회차 예약 가능으로")
    def open_slots(self, request, queryset):
        self._set(request, queryset.values_list("id", flat=True), TimeSlot.Status.OPEN, "예약 가능")

    @admin.action(description="선택한 회차 운영 안 함으로")
    def close_slots(self, request, queryset):
        self._set(request, queryset.values_list("id", flat=True), TimeSlot.Status.CLOSED, "운영 안 함")

    @admin.action(description="선택한 회차 예약 마감으로")
    def book_slots(self, request, queryset):
        self._set(request, queryset.values_list("id", flat=True), TimeSlot.Status.BOOKED, "예약 마감")

    def save_model(self, request, obj, form, change):
        obj.source = "admin"
        obj.fetched_at = timezone.now()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="rooms_timeslot_import"),
            path(
                "room/<int:room_id>/",
                self.admin_site.admin_view(self.calendar_view),
                name="rooms_timeslot_calendar",
            ),
            *super().get_urls(),
        ]

    # --- a room's calendar ------------------------------------------------------------------------------
    def calendar_view(self, request, room_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        room = get_object_or_404(Room.objects.select_related("store"), id=room_id)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            status = request.POST.get("status")
            ids = request.POST.getlist("slot")
            if status in TimeSlot.Status.values and ids:
                # Only this room's slots, whatever ids were posted.
                own = TimeSlot.objects.filter(room=room, id__in=[i for i in ids if i.isdigit()])
                self._set(request, own.values_list("id", flat=True), status, TimeSlot.Status(status).label)
            else:
                self.message_user(request, "바꿀 회차와 상태를 골라 주세요.", messages.WARNING)
            return redirect(request.get_full_path())
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        days = room_slots_by_day(room=room, start=start, end=start + timedelta(days=CALENDAR_DAYS))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{room.name} · {room.store.name} 회차 달력",
            "room": room,
            "days": days,
            "statuses": TimeSlot.Status.choices,
            "calendar_days": CALENDAR_DAYS,
        }
        return TemplateResponse(request, "admin/rooms/timeslot/calendar.html", context)

    # --- staff import: upload, preview, apply ------------------------------------------------------------
    def import_view(self, request):
        if not (request.user.has_perm("rooms.add_timeslot") and request.user.has_perm("rooms.change_room")):
            raise PermissionDenied
        form = ImportUploadForm()
        report = token = None
        if request.method == "POST" and "apply" in request.POST:
            return self._import_apply(request)
        if request.method == "POST":
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                kind = form.cleaned_data["kind"]
                try:
                    text, suffix = upload_text_read(name=upload.name, data=upload.read())
                    report = _import_run(kind, text, suffix, upload.name, dry_run=True)
                except ImportFileError as exc:
                    form.add_error("file", str(exc))
                else:
                    if not report.errors:
                        token = uuid.uuid4().hex
                        cache.set(
                            _import_key(request, token),
                            {"kind": kind, "text": text, "suffix": suffix, "name": upload.name},
                            IMPORT_CACHE_SECONDS,
                        )
        return self._import_page(request, form, report, token)

    def _import_apply(self, request):
        token = request.POST.get("token", "")
        stored = cache.get(_import_key(request, token)) if token.isalnum() else None
        if stored is None:
            self.message_user(request, "미리보기가 만료되었습니다. 파일을 다시 올려 주세요.", messages.ERROR)
            return redirect(reverse("admin:rooms_timeslot_import"))
        try:
            report = _import_run(
                stored["kind"],
                stored["text"],
                stored["suffix"],
                stored["name"],
                dry_run=False,
                expected_digest=request.POST.get("digest", ""),
            )
        except ImportStale as exc:
            # The new plan is the new preview: staff look again before applying it.
            self.message_user(request, str(exc), messages.WARNING)
            return self._import_page(request, ImportUploadForm(), exc.report, token)
        except ImportInvalid as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return self._import_page(request, ImportUploadForm(), exc.report, None)
        cache.delete(_import_key(request, token))
        self.message_user(request, f"{stored['name']}: {report.summary()}", messages.SUCCESS)
        return redirect(reverse("admin:rooms_timeslot_import"))

    def _import_page(self, request, form, report: ImportReport | None, token: str | None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "카탈로그·회차 가져오기",
            "form": form,
            "report": report,
            "token": token,
            "max_mb": MAX_FILE_BYTES // 1024 // 1024,
        }
        return TemplateResponse(request, "admin/rooms/timeslot/import.html", context)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="종류",
        choices=[("slots", "회차 피드 (store, room, start, status)"), ("rooms", "카탈로그 (import_rooms 형식)")],
    )
    file = forms.FileField(label="파일 (CSV 또는 JSON)")


def _import_key(request, token: str) -> str:
    return f"rooms:admin-import:{request.user.id}:{token}"


def _import_run(
    kind: str, text: str, suffix: str, name: str, *, dry_run: bool, expected_digest: str | None = None
) -> ImportReport:
    """A preview (dry run) or an apply; a preview with row errors comes back as a report listing them."""
    try:
        if kind == "rooms":
            return catalogue_import(text=text, suffix=suffix, dry_run=dry_run, expected_digest=expected_digest)
        return slot_feed_import(
            text=text, suffix=suffix, source=f"admin:{name}"[:200], dry_run=dry_run, expected_digest=expected_digest
        )
    except ImportInvalid as exc:
        if dry_run:
            return exc.report
        raise


def room_slot_calendar_link(room: Room) -> str:
    url = reverse("admin:rooms_timeslot_calendar", args=[room.id])
    return format_html('<a href="{}">회차 달력</a>', url)
