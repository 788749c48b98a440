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
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.store.name}"

    @property
    def booking_url(self) -> str:
        return self.store.booking_url


class Review(models.Model):
    """A player's review (후기): one per user and room, editable."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="reviews", verbose_name="테마")
    rating = models.PositiveSmallIntegerField("평점")
    text = models.TextField("후기", max_length=2000, blank=True)
    escaped = models.BooleanField("탈출 성공", default=False)
    hints_used = models.PositiveSmallIntegerField("사용한 힌트 수", default=0)
    played_on = models.DateField("플레이한 날", null=True, blank=True)
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
    def effective_booking_url(self) -> str:
        """This slot's booking page, or the store's (needs `room.store` loaded)."""
        return self.booking_url or self.room.store.booking_url

    @property
    def effective_price(self) -> int:
        return self.price if self.price is not None else self.room.price
