from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class ChatSession(models.Model):
    """One conversation. `state` is the dialogue state the entities of every turn merge into."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions")
    title = models.CharField("제목", max_length=100, blank=True)
    state = models.JSONField("대화 상태", default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "대화"
        verbose_name_plural = "대화"
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "-updated_at"], name="chat_session_user_updated")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title or self.pk}"


class ChatMessage(models.Model):
    class Role(models.TextChoices):
        USER = "user", "사용자"
        ASSISTANT = "assistant", "도우미"

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    text = models.TextField()
    intent = models.CharField(max_length=30, blank=True)
    entities = models.JSONField(default=dict, blank=True)
    recommended_room_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    provider = models.CharField(max_length=20, blank=True)
    model = models.CharField(max_length=100, blank=True)
    # True when the configured LLM failed (timeout, error, invalid output, open circuit) and the offline
    # pipeline answered instead.
    fallback = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "대화 메시지"
        verbose_name_plural = "대화 메시지"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"], name="chat_message_session_created")]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:40]}"


class RecommendationFeedback(models.Model):
    class Kind(models.TextChoices):
        CLICKED = "clicked", "클릭"
        LIKED = "liked", "좋아요"
        DISLIKED = "disliked", "싫어요"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recommendation_feedback")
    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="feedback")
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="recommendation_feedback")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "추천 피드백"
        verbose_name_plural = "추천 피드백"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One record per kind: clicking twice or liking twice changes nothing.
            models.UniqueConstraint(fields=["user", "message", "room", "kind"], name="chat_feedback_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.room_id}"
