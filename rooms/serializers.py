"""Room output shared by the rooms API and chat's recommendations; its fields come from the room's one list."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rooms.models import ROOM_FACT_FIELDS, Room


class StoreBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.CharField()


class RoomOutputSerializer(serializers.ModelSerializer):
    store = StoreBriefSerializer()
    rating = serializers.SerializerMethodField()
    booking_url = serializers.CharField(source="store.booking_url")
    summary_line = serializers.CharField(
        source="review_summary_line", help_text="스포일러 없는 후기 한 줄 요약 (요약이 없으면 빈 문자열)"
    )

    class Meta:
        model = Room
        # A card's facts; the description is the detail's.
        fields = (
            "id",
            "name",
            "store",
            "region",
            *(name for name in ROOM_FACT_FIELDS if name != "description"),
            "rating",
            "review_count",
            "booking_url",
            "summary_line",
        )
        read_only_fields = fields

    def get_rating(self, room) -> float:
        return round(float(room.rating), 2)


class ConsensusSerializer(serializers.Serializer):
    label = serializers.CharField(allow_null=True, help_text="후기의 합의 (예: 어려운 편), 언급이 없으면 null")
    text = serializers.CharField(help_text="합의를 한 문장으로")


class ReviewConsensusSerializer(serializers.Serializer):
    difficulty = ConsensusSerializer()
    fear = ConsensusSerializer()
    activity = ConsensusSerializer()


class ReviewSummarySerializer(serializers.Serializer):
    liked = serializers.ListField(child=serializers.CharField(), help_text="좋았던 점 (최대 3문장)")
    disliked = serializers.ListField(child=serializers.CharField(), help_text="아쉬운 점 (최대 3문장)")
    consensus = ReviewConsensusSerializer()
    suits = serializers.ListField(child=serializers.CharField(), help_text="잘 맞는 사람들 (예: 방린이, 커플)")
    suits_text = serializers.CharField()
    review_count = serializers.IntegerField(help_text="요약에 쓰인 (스포일러 아닌) 후기 수")
    source = serializers.ChoiceField(
        choices=["extractive", "llm"], help_text="extractive: 후기 문장 발췌, llm: LLM 작성"
    )
    built_at = serializers.DateTimeField()


class RoomDetailOutputSerializer(RoomOutputSerializer):
    address = serializers.CharField(source="store.address")
    phone = serializers.CharField(source="store.phone")
    review_summary = serializers.SerializerMethodField()

    class Meta(RoomOutputSerializer.Meta):
        fields = (*RoomOutputSerializer.Meta.fields, "description", "address", "phone", "review_summary")
        read_only_fields = fields

    @extend_schema_field(ReviewSummarySerializer(allow_null=True))
    def get_review_summary(self, room) -> dict | None:
        """Made from non-spoiler reviews only (docs/reviews.md); null until the room has enough of them."""
        return ReviewSummarySerializer(room.review_summary).data if room.review_summary else None


class TimeSlotOutputSerializer(serializers.Serializer):
    """A slot as players see it: its own price and booking page, or the room's and the store's."""

    id = serializers.IntegerField()
    room_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(help_text="시작 시각 (Asia/Seoul)")
    status = serializers.ChoiceField(choices=["open", "booked", "closed"], help_text="open: 예약 가능, booked: 마감")
    price = serializers.IntegerField(source="effective_price", help_text="1인 가격(원)")
    booking_url = serializers.CharField(source="effective_booking_url", help_text="이 회차의 예약 페이지")
