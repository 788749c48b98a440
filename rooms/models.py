from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.functions import Replace
from pgvector.django import HnswIndex, VectorField

from rooms.vocabulary import GENRE_CHOICES, GENRE_NAMES, REGION_CHOICES, REGION_NAMES, REGION_SLUGS

EMBEDDING_DIMENSIONS = 512

# A room's facts as staff edit them, imports carry them and the demo seeds them: the one list that
# services, serializers, the import and the seed derive their field lists from.
ROOM_FACT_FIELDS = (
    "genres",
    "difficulty",
    "fear",
    "activity",
    "min_players",
    "max_players",
    "duration_minutes",
    "price",
    "description",
)
ROOM_FIELDS = ("name", *ROOM_FACT_FIELDS, "is_active")


def _embedding_graph(name: str, **options) -> HnswIndex:
    """An HNSW index over `Room.embedding` (cosine), every graph with the same build parameters."""
    return HnswIndex(
        name=name, fields=["embedding"], m=16, ef_construction=64, opclasses=["vector_cosine_ops"], **options
    )


class Store(models.Model):
    """A 방탈출 카페 branch (업체/지점)."""

    name = models.CharField("업체명", max_length=100, unique=True)
    region = models.CharField("지역", max_length=20, choices=REGION_CHOICES)
    address = models.CharField("주소", max_length=200, blank=True)
    phone = models.CharField("전화번호", max_length=30, blank=True)
    booking_url = models.URLField("예약 링크", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "업체"
        verbose_name_plural = "업체"
        ordering = ["region", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(region__in=REGION_NAMES), name="rooms_store_region_known"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.region})"


class Room(models.Model):
    """One game (테마). `region` copies the store's region so both search legs filter on one table."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="rooms", verbose_name="업체")
    name = models.CharField("테마명", max_length=100)
    region = models.CharField("지역", max_length=20, choices=REGION_CHOICES, editable=False)
    genres = ArrayField(models.CharField(max_length=20, choices=GENRE_CHOICES), size=3, verbose_name="장르")
    difficulty = models.PositiveSmallIntegerField("난이도")
    fear = models.PositiveSmallIntegerField("공포도")
    activity = models.PositiveSmallIntegerField("활동성")
    min_players = models.PositiveSmallIntegerField("최소 인원")
    max_players = models.PositiveSmallIntegerField("최대 인원")
    duration_minutes = models.PositiveSmallIntegerField("플레이 시간(분)")
    price = models.PositiveIntegerField("1인 가격(원)")
    description = models.TextField("소개", max_length=2000)
    # Reviews from our users plus any imported totals: rating == rating_sum / review_count, kept exact
    # by locking the room row on every review write.
    rating = models.FloatField("평점", default=0)
    rating_sum = models.PositiveIntegerField(default=0, editable=False)
    review_count = models.PositiveIntegerField("후기 수", default=0)
    is_active = models.BooleanField("운영 중", default=True)
    search_vector = SearchVectorField(null=True, editable=False)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True, editable=False)
    embedding_dirty = models.BooleanField("임베딩 갱신 필요", default=True, editable=False)
    # Hash of the text and backend the stored embedding came from: a task that finds it equal has nothing to do.
    embedding_source = models.CharField(max_length=64, blank=True, editable=False)
    embedded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The room's own twist words (a culprit's name, the last room's secret): staff keep them, and the spoiler
    # detector treats any review sentence containing one as a spoiler (rooms.spoilers).
    spoiler_terms = ArrayField(
        models.CharField(max_length=40),
        size=30,
        default=list,
        blank=True,
        verbose_name="스포일러 단어",
        help_text="이 테마의 반전·범인·정답처럼, 후기에 나오면 스포일러인 단어 (쉼표로 구분)",
    )
    # The review summary (rooms.summaries): built from non-spoiler reviews by a beat task when dirty.
    review_summary = models.JSONField("후기 요약", default=dict, blank=True, editable=False)
    review_summary_line = models.CharField("한 줄 요약", max_length=200, blank=True, editable=False)
    review_summary_dirty = models.BooleanField("요약 갱신 필요", default=True, editable=False)
    review_summary_built_at = models.DateTimeField("요약 시각", null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "테마"
        verbose_name_plural = "테마"
        ordering = ["-rating", "-review_count", "id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="rooms_room_store_name_unique"),
            models.CheckConstraint(condition=models.Q(region__in=REGION_NAMES), name="rooms_room_region_known"),
            models.CheckConstraint(
                condition=models.Q(genres__contained_by=list(GENRE_NAMES)) & models.Q(genres__len__gte=1),
                name="rooms_room_genres_known",
            ),
            models.CheckConstraint(condition=models.Q(difficulty__range=(1, 5)), name="rooms_room_difficulty_range"),
            models.CheckConstraint(condition=models.Q(fear__range=(0, 5)), name="rooms_room_fear_range"),
            models.CheckConstraint(condition=models.Q(activity__range=(1, 5)), name="rooms_room_activity_range"),
            models.CheckConstraint(condition=models.Q(min_players__range=(1, 20)), name="rooms_room_min_players_range"),
            models.CheckConstraint(
                condition=models.Q(max_players__gte=models.F("min_players")) & models.Q(max_players__lte=20),
                name="rooms_room_players_order",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__range=(10, 300)), name="rooms_room_duration_range"
            ),
            models.CheckConstraint(condition=models.Q(price__range=(0, 1_000_000)), name="rooms_room_price_range"),
            models.CheckConstraint(condition=models.Q(rating__range=(0, 5)), name="rooms_room_rating_range"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="rooms_room_search_gin"),
            # The keyword leg's candidate tiers (rooms.selectors.search._TIERS): words of the name
            # (weight A), and of the name, genres, region and store (A and B).
            GinIndex(
                Func(F("search_vector"), Value("{a}"), function="ts_filter", output_field=SearchVectorField()),
                name="rooms_room_search_name_gin",
            ),
            GinIndex(
                Func(F("search_vector"), Value("{a,b}"), function="ts_filter", output_field=SearchVectorField()),
                name="rooms_room_search_facts_gin",
            ),
            GinIndex(fields=["genres"], name="rooms_room_genres_gin"),
            GinIndex(
                OpClass(Replace("name", models.Value(" "), models.Value("")), name="gin_trgm_ops"),
                name="rooms_room_name_trgm",
            ),
            _embedding_graph("rooms_room_embedding_hnsw"),
            # One small graph per region as well: a search in one region (most chat searches) walks
            # only that region's rooms instead of skipping past the other regions' in the big graph.
            *(
                _embedding_graph(f"rooms_room_hnsw_{slug}", condition=models.Q(region=region))
                for region, slug in REGION_SLUGS.items()
            ),
            models.Index(fields=["region", "is_active"], name="rooms_room_region_active"),
            # Best-rated first: the keyword leg's order among many equal matches, and the empty query's.
            models.Index(F("rating").desc(), F("review_count").desc(), "id", name="rooms_room_rating_order"),
            models.Index(fields=["embedding_dirty"], name="rooms_room_dirty", condition=models.Q(embedding_dirty=True)),
            models.Index(
                fields=["review_summary_dirty"],
                name="rooms_room_summary_dirty",
                condition=models.Q(review_summary_dirty=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.store.name}"

    @property
    def booking_url(self) -> str:
        return self.store.booking_url


class SpoilerSource(models.TextChoices):
    """Who decided a review's spoiler flag. Staff outrank the author and the detector (rooms.spoilers)."""

    AUTHOR = "author", "작성자"
    DETECTOR = "detector", "자동 감지"
    STAFF = "staff", "운영자"


class Review(models.Model):
    """A player's review (후기): one per user and room, editable.

    `is_spoiler` is the flag in force; the three inputs it comes from are kept apart, so a re-run of the
    detector (new twist words) never overrides what staff decided, and staff can see why it was flagged.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="reviews", verbose_name="테마")
    rating = models.PositiveSmallIntegerField("평점")
    text = models.TextField("후기", max_length=2000, blank=True)
    escaped = models.BooleanField("탈출 성공", default=False)
    hints_used = models.PositiveSmallIntegerField("사용한 힌트 수", default=0)
    played_on = models.DateField("플레이한 날", null=True, blank=True)
    author_spoiler = models.BooleanField("작성자 스포 표시", default=False)
    detector_spoiler = models.BooleanField("자동 감지 스포", default=False, editable=False)
    spoiler_reasons = ArrayField(
        models.CharField(max_length=40), default=list, blank=True, editable=False, verbose_name="감지 이유"
    )
    # None: staff have not decided. A staff "not a spoiler" holds for the text staff read; "spoiler" holds on.
    staff_spoiler = models.BooleanField("운영자 판단", null=True, blank=True, editable=False)
    staff_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="판단한 운영자",
    )
    staff_decided_at = models.DateTimeField("운영자 판단 시각", null=True, blank=True, editable=False)
    is_spoiler = models.BooleanField("스포일러", default=False, editable=False)
    spoiler_source = models.CharField(
        "스포 판단 주체", max_length=10, choices=SpoilerSource.choices, default=SpoilerSource.DETECTOR, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "후기"
        verbose_name_plural = "후기"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "room"], name="rooms_review_user_room_unique"),
            models.CheckConstraint(condition=models.Q(rating__range=(1, 5)), name="rooms_review_rating_range"),
            models.CheckConstraint(condition=models.Q(hints_used__lte=50), name="rooms_review_hints_range"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.room_id} ({self.rating})"


SEOUL = ZoneInfo("Asia/Seoul")
_WEEKDAYS = {"ko": "월화수목금토일", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def slot_time_text(starts_at, lang: str = "ko") -> str:
    """A slot's start in Asia/Seoul as the product says it: "토 12/5 19:10" / "Sat 12/5 19:10"."""
    local = starts_at.astimezone(SEOUL)
    names = _WEEKDAYS["en" if lang == "en" else "ko"]
    return f"{names[local.weekday()]} {local.month}/{local.day} {local:%H:%M}"


class TimeSlot(models.Model):
    """One bookable start time of a room (회차), kept current from the store's feed.

    Past slots are not deleted: `archived` is set once they have started (beat, `slots_archive`), so every
    query about bookable slots reads only the live ones through the partial indexes below, and a booking's
    history stays. Open slots are the ones search and chat offer.
    """

    class Status(models.TextChoices):
        OPEN = "open", "예약 가능"
        BOOKED = "booked", "예약 마감"
        CLOSED = "closed", "운영 안 함"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="slots", verbose_name="테마")
    starts_at = models.DateTimeField("시작 시각")
    status = models.CharField("상태", max_length=10, choices=Status.choices, default=Status.OPEN)
    # Only when this slot's price per person differs from the room's (a weekend or late-night price).
    price = models.PositiveIntegerField("1인 가격(원)", null=True, blank=True)
    # The slot's own booking page when the store has one; otherwise the store's booking link.
    booking_url = models.URLField("예약 링크", max_length=500, blank=True)
    # Where the row last came from ("feed:<file>", "admin", "demo") and when that source last stated it.
    source = models.CharField("출처", max_length=200, blank=True)
    fetched_at = models.DateTimeField("출처 확인 시각", null=True, blank=True)
    archived = models.BooleanField("지난 회차", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "예약 회차"
        verbose_name_plural = "예약 회차"
        ordering = ["starts_at", "room_id"]
        constraints = [
            # Also the "room, day" index: a room's slots of a day are one range of it.
            models.UniqueConstraint(fields=["room", "starts_at"], name="rooms_timeslot_room_start_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "booked", "closed"]), name="rooms_timeslot_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(price__isnull=True) | models.Q(price__range=(0, 1_000_000)),
                name="rooms_timeslot_price_range",
            ),
        ]
        indexes = [
            # "Does this room have an open slot in the window" (search's EXISTS, the cards' slots): one range
            # per room over open, live slots only.
            models.Index(
                fields=["room", "starts_at"],
                name="rooms_slot_open_room_time",
                condition=models.Q(status="open", archived=False),
            ),
            # "Region, time window, open" read window first (other rooms at that time): the open slots of a
            # window, joined to rooms by the room's region index. Region is not copied onto slots: a store
            # moving region would have to rewrite them all.
            models.Index(
                fields=["starts_at"], name="rooms_slot_open_time", condition=models.Q(status="open", archived=False)
            ),
            # The archiving beat: live slots that have started.
            models.Index(fields=["starts_at"], name="rooms_slot_live_time", condition=models.Q(archived=False)),
        ]

    def __str__(self) -> str:
        return f"{self.room_id} @ {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def label(self) -> str:
        """ "토 12/5 18:30", as pages, cards and the chat name a slot (the date filter's weekday would follow the
        request's language, which a Korean page should not)."""
        return slot_time_text(self.starts_at)

    @property
    def effective_booking_url(self) -> str:
        """This slot's booking page, or the store's (needs `room.store` loaded)."""
        return self.booking_url or self.room.store.booking_url

    @property
    def effective_price(self) -> int:
        return self.price if self.price is not None else self.room.price
