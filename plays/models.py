"""The play log (one record per user and room: a room can be played only once) and parties of players."""

from django.conf import settings
from django.db import models

from rooms.models import Room

HINTS_MAX = 50
MINUTES_MAX = 300
NOTE_MAX_LENGTH = 500
PARTY_NAME_MAX_LENGTH = 40
PARTY_MAX_MEMBERS = 10  # a company group splits across rooms beyond this
PARTIES_PER_USER_MAX = 20
# Invite codes: 8 characters without the look-alikes 0/O, 1/I/L.
INVITE_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_CODE_LENGTH = 8


class Play(models.Model):
    """A room the user has played (플레이 기록). Replaying the same room updates the record."""

    class Source(models.TextChoices):
        MANUAL = "manual", "직접 기록"
        REVIEW = "review", "후기"
        IMPORT = "import", "CSV 가져오기"
        DEMO = "demo", "데모"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plays")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="plays", verbose_name="테마")
    played_on = models.DateField("플레이한 날")
    escaped = models.BooleanField("탈출 성공", default=False)
    hints_used = models.PositiveSmallIntegerField("사용한 힌트 수", default=0)
    minutes_left = models.PositiveSmallIntegerField("남은 시간(분)", null=True, blank=True)
    clear_minutes = models.PositiveSmallIntegerField("걸린 시간(분)", null=True, blank=True)
    players = models.PositiveSmallIntegerField("인원", null=True, blank=True)
    note = models.TextField("메모", max_length=NOTE_MAX_LENGTH, blank=True)
    source = models.CharField("기록 경로", max_length=10, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "플레이 기록"
        verbose_name_plural = "플레이 기록"
        ordering = ["-played_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "room"], name="plays_play_user_room_unique"),
            models.CheckConstraint(condition=models.Q(hints_used__lte=HINTS_MAX), name="plays_play_hints_range"),
            models.CheckConstraint(
                condition=models.Q(minutes_left__isnull=True) | models.Q(minutes_left__lte=MINUTES_MAX),
                name="plays_play_minutes_left_range",
            ),
            models.CheckConstraint(
                condition=models.Q(clear_minutes__isnull=True) | models.Q(clear_minutes__range=(1, MINUTES_MAX)),
                name="plays_play_clear_minutes_range",
            ),
            models.CheckConstraint(
                condition=models.Q(players__isnull=True) | models.Q(players__range=(1, 20)),
                name="plays_play_players_range",
            ),
        ]
        indexes = [models.Index(fields=["user", "-played_on", "-id"], name="plays_play_user_recent")]

    def __str__(self) -> str:
        return f"{self.user} → {self.room_id} ({self.played_on})"


class Party(models.Model):
    """A group of players who go together (파티); members join with the invite code."""

    name = models.CharField("파티 이름", max_length=PARTY_NAME_MAX_LENGTH)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_parties", verbose_name="방장"
    )
    invite_code = models.CharField("초대 코드", max_length=INVITE_CODE_LENGTH, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "파티"
        verbose_name_plural = "파티"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.invite_code})"


class PartyMember(models.Model):
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="memberships", verbose_name="파티")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="party_memberships", verbose_name="사용자"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "파티원"
        verbose_name_plural = "파티원"
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["party", "user"], name="plays_partymember_unique")]

    def __str__(self) -> str:
        return f"{self.party_id}: {self.user_id}"
