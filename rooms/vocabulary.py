"""The one vocabulary of regions and genres shared by the catalogue, search, chat and accounts.

Each canonical name lists the aliases people actually type: station names, neighbourhoods,
romanised names and synonyms. Lookups ignore case and spaces.
"""

from __future__ import annotations

REGIONS: dict[str, tuple[str, ...]] = {
    "강남": ("강남역", "신논현", "신논현역", "역삼", "역삼역", "논현", "gangnam"),
    "홍대": ("홍대입구", "홍대입구역", "홍익대", "상수", "합정", "연남", "hongdae", "hongik"),
    "신촌": ("신촌역", "이대", "이대역", "sinchon", "shinchon"),
    "건대": ("건대입구", "건대입구역", "건국대", "자양", "konkuk", "kondae", "geondae"),
    "대학로": ("혜화", "혜화역", "성균관대", "daehakro", "daehangno", "hyehwa"),
    "잠실": ("잠실역", "송파", "석촌", "jamsil"),
    "성수": ("성수역", "성수동", "뚝섬", "seongsu"),
    "신림": ("신림역", "관악", "sillim", "shillim"),
    "노원": ("노원역", "상계", "nowon"),
    "영등포": ("영등포역", "타임스퀘어", "문래", "yeongdeungpo"),
    "수원": ("수원역", "인계동", "suwon"),
    "인천": ("부평", "부평역", "구월동", "incheon", "bupyeong"),
    "부산": ("서면", "서면역", "해운대", "남포동", "부산대", "busan", "seomyeon", "haeundae"),
    "대구": ("동성로", "반월당", "daegu", "dongseongno"),
    "대전": ("둔산동", "둔산", "은행동", "daejeon"),
    "광주": ("충장로", "상무지구", "gwangju"),
}

GENRES: dict[str, tuple[str, ...]] = {
    "공포": ("호러", "무서운", "무섭", "귀신", "horror", "scary", "spooky", "creepy", "haunted"),
    "스릴러": ("스릴", "thriller"),
    "추리": ("탐정", "추리물", "수사", "detective", "deduction"),
    "미스터리": ("미스테리", "mystery"),
    "감성": ("감동", "힐링", "emotional"),
    "코믹": ("코미디", "웃긴", "웃기", "유쾌", "comic", "comedy", "funny"),
    "판타지": ("마법", "fantasy"),
    "SF": ("sf", "공상과학", "우주", "sci-fi", "scifi"),
    "모험": ("어드벤처", "탐험", "adventure"),
    "잠입": ("스파이", "침투", "spy", "heist", "stealth", "infiltration"),
    "드라마": ("drama",),
    "로맨스": ("연애", "로맨틱", "romance", "romantic"),
    "액션": ("action",),
    "역사": ("사극", "시대극", "history", "historical"),
}

# Where each region's cluster of stores is (latitude, longitude, about): for "the nearest region" suggestions.
REGION_COORDINATES: dict[str, tuple[float, float]] = {
    "강남": (37.498, 127.028),
    "홍대": (37.557, 126.924),
    "신촌": (37.555, 126.937),
    "건대": (37.540, 127.070),
    "대학로": (37.582, 127.002),
    "잠실": (37.513, 127.100),
    "성수": (37.544, 127.056),
    "신림": (37.484, 126.930),
    "노원": (37.655, 127.061),
    "영등포": (37.516, 126.907),
    "수원": (37.266, 127.000),
    "인천": (37.489, 126.724),
    "부산": (35.158, 129.060),
    "대구": (35.869, 128.595),
    "대전": (36.351, 127.385),
    "광주": (35.148, 126.917),
}

REGION_NAMES: tuple[str, ...] = tuple(REGIONS)
GENRE_NAMES: tuple[str, ...] = tuple(GENRES)
REGION_CHOICES = [(name, name) for name in REGION_NAMES]
# The romanised name of each region (its first ASCII alias), for identifiers such as index names.
REGION_SLUGS: dict[str, str] = {
    name: next(alias for alias in aliases if alias.isascii()) for name, aliases in REGIONS.items()
}
GENRE_CHOICES = [(name, name) for name in GENRE_NAMES]


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def _alias_index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, aliases in table.items():
        for name in (canonical, *aliases):
            index[_key(name)] = canonical
    return index


REGION_ALIASES: dict[str, str] = _alias_index(REGIONS)
GENRE_ALIASES: dict[str, str] = _alias_index(GENRES)


def canonical_region(text: str) -> str | None:
    """'강남역' → '강남', 'Hongdae' → '홍대'; None when the word is no known region."""
    return REGION_ALIASES.get(_key(text))


def canonical_genre(text: str) -> str | None:
    """'호러' → '공포', 'sf' → 'SF'; None when the word is no known genre."""
    return GENRE_ALIASES.get(_key(text))


def regions_nearest(region: str) -> list[str]:
    """Every other region, nearest first ("신촌" → 홍대, 영등포, …)."""
    if region not in REGION_COORDINATES:
        return [name for name in REGION_NAMES if name != region]
    lat, lon = REGION_COORDINATES[region]

    def distance(other: str) -> float:
        other_lat, other_lon = REGION_COORDINATES[other]
        return (other_lat - lat) ** 2 + ((other_lon - lon) * 0.8) ** 2  # a degree of longitude is shorter here

    return sorted((name for name in REGION_NAMES if name != region), key=distance)
