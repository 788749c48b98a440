"""Room output shared by the rooms API and chat's recommendations."""

from rest_framework import serializers


class StoreBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.CharField()


class RoomOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    store = StoreBriefSerializer()
    region = serializers.CharField()
    genres = serializers.ListField(child=serializers.CharField())
    difficulty = serializers.IntegerField()
    fear = serializers.IntegerField()
    activity = serializers.IntegerField()
    min_players = serializers.IntegerField()
    max_players = serializers.IntegerField()
    duration_minutes = serializers.IntegerField()
    price = serializers.IntegerField()
    rating = serializers.SerializerMethodField()
    review_count = serializers.IntegerField()
    booking_url = serializers.CharField(source="store.booking_url")

    def get_rating(self, room) -> float:
        return round(float(room.rating), 2)


class RoomDetailOutputSerializer(RoomOutputSerializer):
    description = serializers.CharField()
    address = serializers.CharField(source="store.address")
    phone = serializers.CharField(source="store.phone")
