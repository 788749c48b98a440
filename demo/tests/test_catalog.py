"""The demo catalogue: big, varied, deterministic, grammatical; `seed_catalog` writes it idempotently and
rooms get their ratings from their reviews."""

import re
import sys
from collections import Counter
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Avg, Count, Sum

from analytics.models import Event
from demo.activity import RoomInfo, activity_plan
from demo.catalog import DEFAULT_ROOMS, OWNERS, SETTINGS, catalogue_build, josa
from demo.management.commands.load_demo_data import DEMO_SEEDERS
from rooms.models import Review, Room, Store
from rooms.text import query_analyze
from rooms.vocabulary import GENRE_NAMES, REGION_NAMES
from testing.factories import RoomFactory

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


# --- Korean text --------------------------------------------------------------------------------

SENTENCE = re.compile(r"(?<=[.?!])\s+")
PARTICLE = re.compile(r"(으로|이나|을|를|이|가|은|는|과|와|로|나)(?=[\s,.:?]|$)")
# Words that end like a particle but are not one ('마을', '통로').
NOT_PARTICLES = {"마을", "가을", "통로", "경로", "산책로", "벽난로", "효과"}


def _final(syllable: str) -> int:
    assert "\uac00" <= syllable <= "\ud7a3", syllable
    return (ord(syllable) - 0xAC00) % 28


def _agrees(syllable: str, particle: str) -> bool:
    """Whether `particle` is the form a word ending in `syllable` takes (ㄹ takes 로, not 으로)."""
    final = _final(syllable)
    if particle == "으로":
        return final not in (0, 8)
    if particle == "로":
        return final in (0, 8)
    return (final != 0) == (particle in ("을", "이", "은", "과", "이나"))


def _particle_errors(text: str, nouns: re.Pattern) -> list[str]:
    # Every word the generator puts before a particle (settings, spots, things, owners), every time.
    errors = [match.group(0) for match in nouns.finditer(text) if not _agrees(match.group(1)[-1], match.group(2))]
    # And any word that ends in 을/를 or (으)로: '기차역로', '유적를'.
    for token in text.split():
        word = token.rstrip(".,:?")
        if word in NOT_PARTICLES:
            continue
        for particle in ("으로", "로", "을", "를"):
            stem = word[: -len(particle)]
            if word.endswith(particle) and stem and "\uac00" <= stem[-1] <= "\ud7a3":
                if not _agrees(stem[-1], particle):
                    errors.append(word)
                break
    return errors


def _nouns() -> re.Pattern:
    """Any word the generator puts before a particle, and the particle after it."""
    nouns = {*OWNERS.values()}
    for settings in SETTINGS.values():
        for setting, place in settings.items():
            nouns |= {setting, *place.spots, *place.things}
    longest_first = sorted(nouns, key=len, reverse=True)
    return re.compile(f"({'|'.join(map(re.escape, longest_first))}){PARTICLE.pattern}")


def test_josa_follows_the_final_consonant():
    assert josa("기차역", "로") == "기차역으로"
    assert josa("마법 학교", "으로") == "마법 학교로"
    assert josa("지하철", "으로") == "지하철로"  # ㄹ takes 로
    assert josa("정글 유적", "를") == "정글 유적을"
    assert josa("해적선", "을/를") == "해적선을"
    assert josa("고양이 카페", "이") == "고양이 카페가"
    assert josa("폐병원", "는") == "폐병원은"
    assert josa("편의점", "와") == "편의점과"
    assert josa("207호", "을") == "207호를"
    assert josa("VIP룸", "가") == "VIP룸이"
    assert josa("2080", "로") == "2080으로"


@pytest.mark.parametrize("room_count", [DEFAULT_ROOMS, 2000])
def test_generated_names_and_descriptions_are_grammatical(room_count):
    nouns = _nouns()
    rooms = catalogue_build(room_count=room_count).rooms
    for room in rooms:
        for text in (room.name, room.description):
            errors = _particle_errors(text, nouns)
            assert not errors, (errors, text)
        # At most one 의 per name: never '탈옥수의 감옥의 반격'.
        assert len(re.findall(r"[가-힣]의(?=[\s:]|$)", room.name)) <= 1, room.name
    assert len({room.name for room in rooms}) == len(rooms)


def test_every_room_has_a_description_of_its_own():
    rooms = catalogue_build().rooms
    shares = Counter(sentence for room in rooms for sentence in set(SENTENCE.split(room.description)))
    sentence, count = shares.most_common(1)[0]
    assert count / len(rooms) <= 0.05, (count, sentence)
    for room in rooms:
        # The story opens in the room's own setting; a shop's owner only turns up in a shop.
        assert room.setting in SENTENCE.split(room.description)[0], room.description
        if re.search(r"점장님|사장님|감독님|웨딩플래너", room.description):
            assert room.setting in OWNERS, room.description


def test_description_words_agree_with_the_facts():
    """The words search matches wishes with ('쉬운', '고인물', '안 무서운', '커플', '단체') are
    said only of rooms whose facts fit, and no genre word of another genre is indexed."""
    for room in catalogue_build().rooms:
        text = room.description.replace(room.setting, "")  # '커플 사진관' is a place, not a wish
        if re.search(r"방린이|입문자|쉬운", text):
            assert room.difficulty <= 2, text
        if re.search(r"고인물|숙련자|고난도|어려운", text):
            assert room.difficulty >= 4, text
        if re.search(r"안 무서운|무섭지 않", text):
            assert room.fear <= 1 and "공포" not in room.genres, text
        if re.search(r"심장이 약", text):
            assert room.fear >= 4 and "공포" in room.genres, text
        if "커플" in text:
            assert "로맨스" in room.genres and room.min_players <= 2, text
        if "단체" in text:
            assert room.max_players >= 6, text
        for sentence in [room.name, *SENTENCE.split(room.description)]:
            named = set(query_analyze(sentence).canonical_terms)
            assert named <= set(room.genres), (named, room.genres, sentence)


def test_every_labelled_search_bench_query_has_relevant_rooms():
    """bench/search_quality.py labels its queries from catalogue facts: each needs a room to find."""
    bench = str(Path(__file__).resolve().parents[2] / "bench")
    sys.path.insert(0, bench)
    try:
        from search_quality import relevant
        from search_queries import QUERIES
    finally:
        sys.path.remove(bench)
    rooms = catalogue_build().rooms
    assert not [query for query, facts in QUERIES if not any(relevant(room, facts) for room in rooms)]


# --- ratings come from reviews ------------------------------------------------------------------


def _assert_room_numbers_are_their_reviews() -> None:
    rooms = Room.objects.annotate(n=Count("reviews"), total=Sum("reviews__rating"), average=Avg("reviews__rating"))
    assert any(room.n for room in rooms)
    for room in rooms:
        assert (room.review_count, room.rating_sum) == (room.n, room.total or 0), room.name
        assert room.rating == pytest.approx(round(room.average, 4) if room.n else 0, abs=1e-9), room.name


def test_room_ratings_and_review_counts_are_those_of_their_reviews():
    call_command("seed_catalog", scale=30, embed="none", stdout=StringIO())
    assert not Room.objects.exclude(rating=0).exclude(review_count=0).exists()
    call_command("seed_activity", users=12, months=13, seed=5, train=False, stdout=StringIO())
    _assert_room_numbers_are_their_reviews()
    texts = list(Review.objects.values_list("text", flat=True))
    assert "" in texts and len({text for text in texts if text}) > 10
    # A second seed changes nothing, the review numbers included.
    out = StringIO()
    call_command("seed_catalog", scale=30, embed="none", stdout=out)
    assert "0 created, 0 updated" in out.getvalue()
    _assert_room_numbers_are_their_reviews()
    # Made-up totals (a database seeded before ratings came from reviews) are put back.
    room = Room.objects.order_by("id").first()
    Room.objects.filter(id=room.id).update(rating=5.0, rating_sum=2685, review_count=537)
    out = StringIO()
    call_command("seed_catalog", scale=30, embed="none", stdout=out)
    assert "0 created, 1 updated" in out.getvalue()
    _assert_room_numbers_are_their_reviews()
    # Every demo review reached the insights as a review.created event, like one written on the site.
    reviews = {(r.user_id, r.room_id, r.rating) for r in Review.objects.all()}
    events = {
        (e.user_id, e.payload["room_id"], e.payload["rating"]) for e in Event.objects.filter(type="review.created")
    }
    assert events == reviews and len(reviews) > 20
    # Reloading the activity takes the old reviews out of the numbers before adding the new ones.
    call_command("seed_activity", users=12, months=13, seed=6, reset=True, train=False, stdout=StringIO())
    _assert_room_numbers_are_their_reviews()


def test_seed_catalog_removes_rooms_its_stores_no_longer_have():
    call_command("seed_catalog", scale=30, embed="none", stdout=StringIO())
    store = Store.objects.order_by("id").first()
    old = RoomFactory(store=store, name="옛 생성기의 테마")

    out = StringIO()
    call_command("seed_catalog", scale=30, embed="none", stdout=out)

    assert "0 created, 0 updated, 1 removed" in out.getvalue()
    assert not Room.objects.filter(id=old.id).exists() and Room.objects.count() == 30
    out = StringIO()
    call_command("seed_catalog", scale=30, embed="none", stdout=out)
    assert "0 created, 0 updated)" in out.getvalue()  # nothing to remove the second time, and it says nothing


def test_better_rooms_get_more_and_better_reviews():
    rooms = [
        RoomInfo(
            id=spec.key + 1,
            name=spec.name,
            genres=list(spec.genres),
            region=spec.region,
            difficulty=spec.difficulty,
            fear=spec.fear,
            min_players=spec.min_players,
            max_players=spec.max_players,
            activity=spec.activity,
            quality=spec.quality,
        )
        for spec in catalogue_build().rooms
    ]
    plan = activity_plan(rooms=rooms, users=120, months=13, seed=2, today=date(2026, 6, 1))
    ratings: dict[int, list[int]] = {room.id: [] for room in rooms}
    for review in plan.reviews:
        ratings[review["room"]].append(review["rating"])
    ranked = sorted(rooms, key=lambda room: room.quality)
    worst, best = ranked[: len(ranked) // 4], ranked[-len(ranked) // 4 :]

    def reviews(group):
        return [rating for room in group for rating in ratings[room.id]]

    assert len(reviews(best)) > 1.5 * len(reviews(worst))
    assert sum(reviews(best)) / len(reviews(best)) > sum(reviews(worst)) / len(reviews(worst)) + 0.5
