import math
import time

import pytest
from django.db import transaction

from rooms.embeddings import OpenAIBackend, UseBackend, embed_texts, embedding_backend
from rooms.models import Room
from rooms.services import (
    room_create,
    room_update,
    rooms_embed,
    rooms_embed_dirty,
    rooms_embedding_store,
    rooms_embedding_todo,
)
from rooms.tasks import rooms_embed_dirty_task, rooms_embed_task
from testing.factories import RoomFactory, StoreFactory


def test_local_model_gives_normalised_512_dimension_vectors():
    vectors = embed_texts(["강남 공포 테마", "홍대 감성 테마"])
    assert len(vectors) == 2
    assert all(len(vector) == 512 for vector in vectors)
    assert all(math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-3) for vector in vectors)
    assert vectors[0] != vectors[1]


def test_backend_is_chosen_by_setting_and_needs_a_key(settings):
    settings.ROOMS_EMBEDDING_BACKEND = "openai"
    settings.OPENAI_API_KEY = ""
    assert isinstance(embedding_backend(), UseBackend)
    settings.OPENAI_API_KEY = "sk-test-never-used"  # built, never called: tests make no network calls
    backend = embedding_backend()
    assert isinstance(backend, OpenAIBackend)
    assert backend.dimensions == 512
    settings.ROOMS_EMBEDDING_BACKEND = "use"
    assert isinstance(embedding_backend(), UseBackend)


@pytest.mark.django_db
def test_embedding_is_idempotent_and_clears_the_dirty_flag():
    rooms = [RoomFactory(name=f"방 {index}") for index in range(3)]
    assert all(room.embedding_dirty and room.embedding is None for room in rooms)
    assert rooms_embed_task([room.id for room in rooms]) == 3
    first = {room.id: list(room.embedding) for room in Room.objects.filter(id__in=[r.id for r in rooms])}
    assert not Room.objects.filter(embedding_dirty=True).exists()
    # Running again finds nothing to do and leaves the vectors as they were.
    assert rooms_embed(room_ids=list(first)) == 0
    assert {room.id: list(room.embedding) for room in Room.objects.all()} == first
    # A gone room is no error.
    assert rooms_embed(room_ids=[999_999]) == 0


@pytest.mark.django_db
def test_text_change_marks_dirty_and_other_changes_do_not():
    room = RoomFactory(name="바뀌는 방")
    rooms_embed(room_ids=[room.id])
    room = room_update(room=Room.objects.get(id=room.id), price=31000)
    assert not room.embedding_dirty
    room = room_update(room=room, description="완전히 새로운 우주 이야기입니다.")
    assert room.embedding_dirty
    assert rooms_embed_dirty(batch_size=10) == 1
    assert not Room.objects.get(id=room.id).embedding_dirty


@pytest.mark.django_db
def test_a_stale_vector_never_overwrites_a_newer_edit():
    room = RoomFactory(name="경합하는 방")
    todo = rooms_embedding_todo(room_ids=[room.id])
    vectors = embed_texts([text for _, text, _ in todo])
    # The room is edited while its vector is being computed.
    room_update(room=Room.objects.get(id=room.id), description="편집된 새 설명입니다.")
    assert rooms_embedding_store(todo=todo, vectors=vectors) == 0
    room.refresh_from_db()
    assert room.embedding is None and room.embedding_dirty
    assert rooms_embed(room_ids=[room.id]) == 1
    room.refresh_from_db()
    assert room.embedding is not None and not room.embedding_dirty


@pytest.mark.django_db
def test_beat_task_embeds_dirty_rooms_in_batches(settings):
    settings.ROOMS_EMBEDDING_BATCH_SIZE = 2
    store = StoreFactory()
    for index in range(3):
        RoomFactory(store=store, name=f"배치 {index}")
    assert rooms_embed_dirty_task() == 2
    assert Room.objects.filter(embedding_dirty=True).count() == 1
    assert rooms_embed_dirty_task() == 1
    assert rooms_embed_dirty_task() == 0


@pytest.mark.django_db(transaction=True)
def test_saving_a_room_queues_its_embedding_to_a_real_worker():
    from celery.contrib.testing.worker import start_worker

    from escape_ai.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        with transaction.atomic():
            # Through the service on purpose: saving a room is what queues its embedding.
            room = room_create(
                store=StoreFactory(),
                name="워커가 임베딩하는 방",
                genres=["추리"],
                difficulty=3,
                fear=0,
                activity=2,
                min_players=2,
                max_players=4,
                duration_minutes=70,
                price=25000,
                description="우주정거장에서 탈출하는 SF 테마입니다.",
            )
            # Nothing is sent before commit: the worker cannot see an uncommitted room.
            assert Room.objects.get(id=room.id).embedding is None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            room.refresh_from_db()
            if room.embedding is not None and not room.embedding_dirty:
                break
            time.sleep(0.2)
    assert room.embedding is not None
    assert len(room.embedding) == 512
    assert not room.embedding_dirty


def test_system_check_warns_about_a_backend_without_key(settings):
    from rooms.checks import rooms_settings_check

    assert rooms_settings_check() == []
    settings.ROOMS_EMBEDDING_BACKEND = "openai"
    settings.OPENAI_API_KEY = ""
    assert [problem.id for problem in rooms_settings_check()] == ["rooms.W001"]
    settings.ROOMS_EMBEDDING_BACKEND = "word2vec"
    settings.ROOMS_SEARCH_METHOD = "magic"
    assert [problem.id for problem in rooms_settings_check()] == ["rooms.E001", "rooms.E002"]
