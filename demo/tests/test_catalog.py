"""The demo catalogue: big, varied, deterministic; `seed_catalog` writes it idempotently."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from demo.catalog import catalogue_build
from demo.management.commands.load_demo_data import DEMO_SEEDERS
from rooms.models import Room, Store
from rooms.vocabulary import GENRE_NAMES, REGION_NAMES

pytestmark = pytest.mark.django_db


def test_demo_catalogue_is_big_varied_and_deterministic():
    catalogue = catalogue_build()
    assert len(catalogue.rooms) >= 300
    assert len(catalogue.stores) >= 60
    assert {room.region for room in catalogue.rooms} == set(REGION_NAMES)
    assert {genre for room in catalogue.rooms for genre in room.genres} == set(GENRE_NAMES)
    # every region offers every genre
    for region in REGION_NAMES:
        assert {g for room in catalogue.rooms if room.region == region for g in room.genres} == set(GENRE_NAMES)
    assert len({room.description for room in catalogue.rooms}) == len(catalogue.rooms)
    assert len({room.difficulty for room in catalogue.rooms}) == 5
    assert len({room.fear for room in catalogue.rooms}) == 6
    assert len({room.price for room in catalogue.rooms}) >= 8
    assert {room.max_players for room in catalogue.rooms} >= {2, 4, 6}
    for room in catalogue.rooms:
        sentences = [part for part in room.description.replace("?", ".").split(".") if part.strip()]
        assert 2 <= len(sentences) <= 4, room.description
        assert any("\uac00" <= ch <= "\ud7a3" for ch in room.name)
    assert catalogue_build() == catalogue


def test_seed_catalog_is_idempotent_and_scalable():
    out = StringIO()
    call_command("seed_catalog", scale=40, embed="none", stdout=out)
    assert "40 created" in out.getvalue()
    assert Room.objects.count() == 40
    assert Store.objects.count() == 8
    assert not Room.objects.filter(search_vector__isnull=True).exists()
    before = dict(Room.objects.values_list("id", "updated_at"))
    out = StringIO()
    call_command("seed_catalog", scale=40, embed="none", stdout=out)
    assert "0 created, 0 updated" in out.getvalue()
    assert dict(Room.objects.values_list("id", "updated_at")) == before
    # A room someone changed is put back, and only that room is touched.
    changed = Room.objects.order_by("id").first()
    Room.objects.filter(id=changed.id).update(price=99000)
    out = StringIO()
    call_command("seed_catalog", scale=40, embed="none", stdout=out)
    assert "0 created, 1 updated" in out.getvalue()
    assert "seed_catalog" in DEMO_SEEDERS


def test_seed_catalog_rejects_a_silly_scale():
    with pytest.raises(CommandError):
        call_command("seed_catalog", scale=0, embed="none")
