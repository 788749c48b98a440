"""Room output shared by the rooms API and chat's recommendations; its fields come from the room's one list."""

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
        )
        read_only_fields = fields

    def get_rating(self, room) -> float:
        return round(float(room.rating), 2)


class RoomDetailOutputSerializer(RoomOutputSerializer):
    address = serializers.CharField(source="store.address")
    phone = serializers.CharField(source="store.phone")

    class Meta(RoomOutputSerializer.Meta):
        fields = (*RoomOutputSerializer.Meta.fields, "description", "address", "phone")
        read_only_fields = fields


class TimeSlotOutputSerializer(serializers.Serializer):
    """A slot as players see it: its own price and booking page, or the room's and the store's."""

    id = serializers.IntegerField()
    room_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(help_text="시작 시각 (Asia/Seoul)")
    status = serializers.ChoiceField(choices=["open", "booked", "closed"], help_text="open: 예약 가능, booked: 마감")
    price = serializers.IntegerField(source="effective_price", help_text="1인 가격(원)")
    booking_url = serializers.CharField(source="effective_booking_url", help_text="이 회차의 예약 페이지")
