from django.conf import settings
from django.db import models
from django.db.models.fields.json import KT


class Event(models.Model):
    """One business event. The producer assigns `event_id`; storing the same event twice is a no-op."""

    event_id = models.UUIDField("이벤트 ID", unique=True)
    type = models.CharField("유형", max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="사용자",
    )
    # A plain id: events must outlive (and not lock) chat sessions, and chat owns that table.
    chat_session_id = models.BigIntegerField("대화 세션 ID", null=True, blank=True, db_index=True)
    payload = models.JSONField("내용", default=dict)
    occurred_at = models.DateTimeField("발생 시각")
    received_at = models.DateTimeField("저장 시각")

    class Meta:
        verbose_name = "이벤트"
        verbose_name_plural = "이벤트"
        indexes = [
            models.Index(fields=["type", "occurred_at"], name="analytics_event_type_time"),
            models.Index(fields=["occurred_at"], name="analytics_event_time"),
            # No (user, occurred_at) index: nothing reads events by user and time (insights read the
            # rollups), and the foreign key's own index serves deleting a user; one index less per insert.
            # Clicks find the recommendation they came from (for its region and genres) by message id.
            models.Index(
                KT("payload__message_id"),
                condition=models.Q(type="recommendation.shown"),
                name="analytics_event_shown_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class EventRollup(models.Model):
    """Daily sums per (metric, key), maintained in the same transaction as the events they count."""

    day = models.DateField("날짜")
    metric = models.CharField("지표", max_length=40)
    key = models.CharField("키", max_length=200, blank=True, default="")
    count = models.BigIntegerField("건수", default=0)
    total = models.DecimalField("합계", max_digits=24, decimal_places=8, default=0)

    class Meta:
        verbose_name = "일별 집계"
        verbose_name_plural = "일별 집계"
        constraints = [models.UniqueConstraint(fields=["metric", "day", "key"], name="analytics_rollup_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key}: {self.count}"


class DailyActivity(models.Model):
    """Distinct subjects per day (users, chat sessions, successful recommendations) for distinct counts."""

    day = models.DateField("날짜")
    kind = models.CharField("종류", max_length=30)
    subject_id = models.BigIntegerField("대상 ID")

    class Meta:
        verbose_name = "일별 활동"
        verbose_name_plural = "일별 활동"
        constraints = [models.UniqueConstraint(fields=["kind", "day", "subject_id"], name="analytics_activity_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.subject_id}"
