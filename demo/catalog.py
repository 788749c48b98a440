"""A deterministic demo catalogue: the same stores and rooms on every machine and every run.

Everything comes from one seeded `random.Random`, so room N is always the same room and the
search bench can label its queries from the facts kept here (region, genres, setting, numbers).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from rooms.vocabulary import GENRE_NAMES, REGION_NAMES

DEFAULT_ROOMS = 320
ROOMS_PER_STORE = 5
SEED = 20260401

_BRANDS = (
    "비밀의열쇠",
    "다락방탈출",
    "미궁연구소",
    "열쇠공방",
    "시간의문",
    "퍼즐하우스",
    "잠긴서재",
    "탈출일기",
    "루시드룸",
    "코드브레이커",
    "한밤의극장",
    "네번째방",
    "수수께끼상점",
    "블랙박스",
    "골목의비밀",
    "미로공작소",
    "도어스",
    "이스케이프랩",
    "숨은그림",
    "마지막열쇠",
)

_ADDRESSES = {
    "강남": ("서울 강남구 강남대로", "서울 강남구 테헤란로", "서울 서초구 서초대로"),
    "홍대": ("서울 마포구 어울마당로", "서울 마포구 와우산로", "서울 마포구 양화로"),
    "신촌": ("서울 서대문구 연세로", "서울 서대문구 명물길", "서울 마포구 신촌로"),
    "건대": ("서울 광진구 아차산로", "서울 광진구 능동로", "서울 광진구 동일로"),
    "대학로": ("서울 종로구 대학로", "서울 종로구 동숭길", "서울 종로구 혜화로"),
    "잠실": ("서울 송파구 올림픽로", "서울 송파구 백제고분로", "서울 송파구 석촌호수로"),
    "성수": ("서울 성동구 성수이로", "서울 성동구 아차산로", "서울 성동구 연무장길"),
    "신림": ("서울 관악구 신림로", "서울 관악구 남부순환로", "서울 관악구 신원로"),
    "노원": ("서울 노원구 동일로", "서울 노원구 노해로", "서울 노원구 상계로"),
    "영등포": ("서울 영등포구 영중로", "서울 영등포구 경인로", "서울 영등포구 문래로"),
    "수원": ("경기 수원시 팔달구 인계로", "경기 수원시 팔달구 덕영대로", "경기 수원시 팔달구 효원로"),
    "인천": ("인천 부평구 부평대로", "인천 남동구 인하로", "인천 부평구 시장로"),
    "부산": ("부산 부산진구 서면로", "부산 해운대구 구남로", "부산 중구 광복로"),
    "대구": ("대구 중구 동성로", "대구 중구 중앙대로", "대구 중구 국채보상로"),
    "대전": ("대전 서구 둔산로", "대전 중구 대종로", "대전 서구 대덕대로"),
    "광주": ("광주 동구 충장로", "광주 서구 상무중앙로", "광주 동구 금남로"),
}
_AREA_CODES = {"수원": "031", "인천": "032", "부산": "051", "대구": "053", "대전": "042", "광주": "062"}

# Per genre: settings (배경) with their words, name pieces, and sentences about story and play.
_SETTINGS: dict[str, tuple[str, ...]] = {
    "공포": ("폐병원", "폐교", "흉가", "지하 납골당", "인형 공방", "산속 폐가", "정신병동", "저주받은 저택"),
    "스릴러": ("연쇄살인범의 아지트", "지하 벙커", "감금된 창고", "폐공장", "심야 택시", "외딴 모텔"),
    "추리": ("탐정 사무소", "살인 사건 현장", "침대 열차", "고급 호텔", "작은 시골 마을", "경찰서 취조실"),
    "미스터리": ("사라진 박물관", "오래된 도서관", "안개 낀 등대", "비밀 결사의 본부", "버려진 놀이공원"),
    "감성": ("할머니의 다락방", "바닷가 사진관", "오래된 우체국", "별이 보이는 옥상", "작은 꽃집"),
    "코믹": ("난장판 편의점", "엉망진창 결혼식장", "수상한 분식집", "시트콤 촬영장", "고양이 카페"),
    "판타지": ("마법 학교", "용의 둥지", "요정의 숲", "연금술사의 공방", "하늘 위의 성"),
    "SF": ("우주정거장", "화성 기지", "인공지능 연구소", "타임머신 실험실", "사이버 도시"),
    "모험": ("정글 유적", "해적선", "사막의 피라미드", "설산 캠프", "잃어버린 보물 동굴"),
    "잠입": ("국가정보원 금고", "카지노 VIP룸", "미술관 보안실", "적국 대사관", "재벌가 서재"),
    "드라마": ("오래된 극장", "시골 기차역", "가족 식당", "병원 대기실", "졸업식 날의 교실"),
    "로맨스": ("첫사랑의 카페", "벚꽃길 공원", "청춘 영화관", "놀이공원 관람차", "커플 사진관"),
    "액션": ("무너지는 빌딩", "폭탄이 설치된 지하철", "조직의 창고", "탈옥수의 감옥", "테러범의 본부"),
    "역사": ("조선 궁궐", "독립운동가의 은신처", "고려 왕릉", "일제강점기 경성 거리", "삼국시대 성벽"),
}
_NAME_TAILS: dict[str, tuple[str, ...]] = {
    "공포": ("의 비명", " 404호", "의 마지막 밤", "에서 온 편지", "의 속삭임", " 지하 3층"),
    "스릴러": ("의 초대", ": 72시간", "의 덫", "에서 살아남기", "의 목격자", ": 카운트다운"),
    "추리": (" 살인사건", "의 진범", "의 알리바이", "의 증언", ": 마지막 단서", "의 사라진 유서"),
    "미스터리": ("의 비밀", "의 수수께끼", "의 봉인", "의 일곱 번째 문", "의 잃어버린 지도"),
    "감성": ("의 편지", "에서 기다릴게", "의 마지막 여름", "의 오후", ": 다시 만나는 날"),
    "코믹": ("의 대소동", " 대작전", "은 오늘도 평화롭다", "의 사장님을 찾아라", ": 웃음 주의"),
    "판타지": ("의 마법사", "의 전설", "의 수호자", "의 잠든 용", ": 별의 열쇠"),
    "SF": (" 탈출 프로토콜", "의 마지막 신호", " 2099", "의 반란", ": 코드 제로"),
    "모험": ("의 보물", " 원정대", "의 지도", "를 건너라", ": 마지막 탐험"),
    "잠입": (" 침투 작전", "의 금고", "를 털어라", ": 미션 임파서블", "의 이중간첩"),
    "드라마": ("의 기억", "에서의 하루", "의 약속", "로 돌아가다", ": 우리들의 이야기"),
    "로맨스": ("에서 고백", "의 첫사랑", "의 설렘", "에서 만난 너", ": 러브레터"),
    "액션": (" 대탈출", "의 인질", " 폭파 10분 전", "의 반격", ": 제한시간 60분"),
    "역사": ("의 밀서", "의 왕", "의 비밀 결사", "의 옥새", ": 잊혀진 이름"),
}
_STORY: dict[str, tuple[str, ...]] = {
    "공포": (
        "{setting}에 갇힌 당신, 어둠 속에서 들려오는 발소리를 피해 탈출해야 합니다.",
        "문을 닫는 순간부터 {setting}의 무서운 진실이 하나씩 드러납니다.",
        "오래전 사라진 환자들의 흔적이 남은 {setting}에서 귀신의 정체를 밝혀야 합니다.",
        "으스스한 {setting}, 소름 돋는 연출과 갑자기 튀어나오는 공포 요소가 기다립니다.",
    ),
    "스릴러": (
        "정신을 차려 보니 {setting}, 범인이 돌아오기 전에 빠져나가야 합니다.",
        "{setting}에서 벌어지는 숨막히는 추격전, 긴장감을 늦출 수 없습니다.",
        "누군가 당신을 지켜보고 있습니다. {setting}에서 제한시간 안에 살아남으세요.",
    ),
    "추리": (
        "{setting}에서 일어난 의문의 사건, 용의자들의 증언 속 모순을 찾아 범인을 지목하세요.",
        "탐정이 되어 {setting}에 남겨진 단서를 모아 사건의 진실을 추리해야 합니다.",
        "{setting}에서 벌어진 살인, 알리바이를 하나씩 무너뜨리는 논리 퍼즐이 핵심입니다.",
    ),
    "미스터리": (
        "{setting}에 숨겨진 오래된 비밀, 풀리지 않은 수수께끼가 당신을 부릅니다.",
        "아무도 설명하지 못한 {setting}의 미스터리를 파헤쳐 보세요.",
        "{setting}의 봉인된 문 너머에는 무엇이 있을까요? 기묘한 상징들을 해독해야 합니다.",
    ),
    "감성": (
        "{setting}에 남겨진 편지를 따라가며 잊고 있던 소중한 기억을 되찾는 이야기입니다.",
        "따뜻한 {setting}에서 펼쳐지는 잔잔한 이야기, 마지막 장면에서 눈물이 날지도 모릅니다.",
        "{setting}의 주인을 도와 오래된 약속을 지켜 주세요. 감동적인 엔딩이 기다립니다.",
    ),
    "코믹": (
        "{setting}에서 벌어지는 좌충우돌 소동극, 웃다가 시간 가는 줄 모릅니다.",
        "엉뚱한 사장님이 사라진 {setting}, 유쾌한 퍼즐로 가게를 구해 주세요.",
        "{setting}을 배경으로 한 코미디, 곳곳에 숨은 개그 포인트가 가득합니다.",
    ),
    "판타지": (
        "{setting}에 들어선 순간 마법의 세계가 펼쳐집니다. 잃어버린 마법서를 찾아야 합니다.",
        "전설 속 {setting}, 주문을 완성해 봉인된 힘을 깨우세요.",
        "{setting}의 수호자가 되어 어둠의 마법사를 막아야 하는 판타지 모험입니다.",
    ),
    "SF": (
        "서기 2099년, {setting}의 시스템이 멈췄습니다. 산소가 떨어지기 전에 복구해야 합니다.",
        "{setting}에서 폭주한 인공지능을 멈추고 지구로 귀환하세요.",
        "미래의 {setting}, 첨단 장치와 홀로그램 퍼즐이 가득한 SF 테마입니다.",
    ),
    "모험": (
        "{setting}에 숨겨진 전설의 보물을 찾아 떠나는 탐험이 시작됩니다.",
        "함정이 가득한 {setting}을 돌파해 원정대를 구출하세요.",
        "지도 한 장만 들고 {setting}으로 향하는 어드벤처, 곳곳에 장애물이 기다립니다.",
    ),
    "잠입": (
        "요원이 되어 {setting}에 잠입하세요. 경비의 눈을 피해 기밀 문서를 손에 넣어야 합니다.",
        "보안 시스템을 해제하고 {setting}의 금고를 여는 스파이 작전입니다.",
        "{setting}에 침투해 들키지 않고 임무를 완수해야 합니다. 레이저와 센서를 조심하세요.",
    ),
    "드라마": (
        "{setting}에서 한 가족의 오래된 사연을 따라가는 드라마 테마입니다.",
        "{setting}에 모인 사람들의 엇갈린 인생, 그 끝에서 진심을 마주하게 됩니다.",
        "평범한 {setting}에서 시작된 하루가 인생을 바꾸는 이야기가 됩니다.",
    ),
    "로맨스": (
        "{setting}에서 시작된 두 사람의 설레는 이야기, 고백을 완성시켜 주세요.",
        "첫사랑의 추억이 담긴 {setting}, 연인과 함께 풀면 더 즐거운 로맨스 테마입니다.",
        "{setting}에서 엇갈린 인연을 이어 주는 달콤한 연애 이야기입니다.",
    ),
    "액션": (
        "{setting}에서 인질을 구하고 제한시간 안에 탈출해야 하는 액션 테마입니다.",
        "몸으로 부딪히는 {setting} 탈출, 기어가고 뛰어야 하는 구간이 많습니다.",
        "폭탄 타이머가 돌아가는 {setting}, 팀워크로 위기를 돌파하세요.",
    ),
    "역사": (
        "{setting}을 배경으로 역사 속에 묻힌 비밀을 밝혀내는 이야기입니다.",
        "{setting}에 숨겨진 밀서를 찾아 나라의 운명을 바꾸세요.",
        "시간을 거슬러 {setting}으로, 실제 역사에서 모티브를 얻은 퍼즐이 등장합니다.",
    ),
}
_PLAY = (
    "자물쇠보다 장치 비율이 높아 문제를 풀 때마다 새로운 공간이 열립니다.",
    "자물쇠 위주의 정통 구성이라 꼼꼼한 관찰력이 중요합니다.",
    "인테리어가 정교해서 영화 세트장에 들어온 듯한 몰입감을 줍니다.",
    "조명과 음향 연출이 뛰어나 스토리에 자연스럽게 빠져듭니다.",
    "문제 흐름이 매끄럽고 마지막 반전이 인상적입니다.",
    "팀원 간 소통이 중요한 협동 퍼즐이 많습니다.",
    "방이 여러 개로 나뉘어 있어 동선이 넓고 볼거리가 많습니다.",
    "스토리와 문제가 잘 어우러져 끝까지 지루할 틈이 없습니다.",
)
_AUDIENCE_EASY = (
    "방탈출이 처음인 방린이에게 추천합니다.",
    "입문자도 부담 없이 즐길 수 있는 난이도입니다.",
)
_AUDIENCE_HARD = (
    "고인물도 진땀 흘리는 고난도 테마입니다.",
    "숙련자를 위한 어려운 문제가 가득합니다.",
)
_AUDIENCE_COUPLE = ("커플이 둘이서 즐기기 좋은 데이트 코스입니다.", "두 명이서 오붓하게 즐기기 좋습니다.")
_AUDIENCE_GROUP = ("여럿이 함께 가면 더 신나는 단체 추천 테마입니다.", "회사 동료나 친구들과 단체로 즐기기 좋습니다.")
_FEAR_SOFT = ("겁이 많은 분도 안심하고 즐길 수 있는 안 무서운 테마입니다.",)
_FEAR_HARD = (
    "공포도가 높아 겁이 많다면 각오가 필요합니다.",
    "심장이 약한 분께는 권하지 않는 강한 공포 연출이 있습니다.",
)

# Genres that go together as second/third labels of a room.
_COMPANIONS: dict[str, tuple[str, ...]] = {
    "공포": ("스릴러", "미스터리", "추리", "드라마"),
    "스릴러": ("공포", "추리", "액션", "잠입"),
    "추리": ("미스터리", "스릴러", "드라마", "역사"),
    "미스터리": ("추리", "판타지", "공포", "모험"),
    "감성": ("드라마", "로맨스", "판타지", "코믹"),
    "코믹": ("모험", "감성", "로맨스", "액션"),
    "판타지": ("모험", "감성", "미스터리", "코믹"),
    "SF": ("액션", "모험", "스릴러", "미스터리"),
    "모험": ("액션", "판타지", "코믹", "역사"),
    "잠입": ("액션", "스릴러", "추리", "SF"),
    "드라마": ("감성", "추리", "역사", "로맨스"),
    "로맨스": ("감성", "코믹", "드라마"),
    "액션": ("모험", "SF", "스릴러", "잠입"),
    "역사": ("추리", "드라마", "미스터리", "모험"),
}
_GENRE_DIFFICULTY = {"추리": 1, "잠입": 1, "미스터리": 1, "SF": 0, "코믹": -1, "감성": -1, "로맨스": -1}
_GENRE_ACTIVITY = {"액션": 2, "모험": 1, "잠입": 1, "감성": -1, "추리": -1, "로맨스": -1, "드라마": -1}


@dataclass(frozen=True)
class StoreSpec:
    key: int
    name: str
    region: str
    address: str
    phone: str
    booking_url: str


@dataclass(frozen=True)
class RoomSpec:
    key: int
    store_key: int
    name: str
    region: str
    genres: tuple[str, ...]
    setting: str
    difficulty: int
    fear: int
    activity: int
    min_players: int
    max_players: int
    duration_minutes: int
    price: int
    description: str
    rating: float
    review_count: int


@dataclass(frozen=True)
class Catalogue:
    stores: list[StoreSpec]
    rooms: list[RoomSpec]


def _clip(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _stores(rng: random.Random, count: int) -> list[StoreSpec]:
    stores = []
    per_region = math.ceil(count / len(REGION_NAMES))
    for index in range(count):
        region = REGION_NAMES[index % len(REGION_NAMES)]
        slot = index // len(REGION_NAMES)
        brand = _BRANDS[(index * 7 + slot) % len(_BRANDS)]
        branch = f"{region}점" if slot < len(_BRANDS) else f"{region} {slot // len(_BRANDS) + 1}호점"
        name = f"{brand} {branch}"
        street = rng.choice(_ADDRESSES[region])
        area = _AREA_CODES.get(region, "02")
        stores.append(
            StoreSpec(
                key=index,
                name=name,
                region=region,
                address=f"{street} {rng.randint(1, 180)}, {rng.randint(2, 6)}층",
                phone=f"{area}-{rng.randint(300, 999)}-{rng.randint(1000, 9999)}",
                booking_url=f"https://booking.escape-demo.kr/stores/{index + 1}",
            )
        )
    del per_region
    return stores


# How common each genre is as a room's main genre (horror, mystery and thrillers dominate in Korea).
_GENRE_WEIGHTS = {
    "공포": 3.0,
    "스릴러": 2.0,
    "추리": 3.0,
    "미스터리": 2.0,
    "감성": 2.0,
    "코믹": 1.5,
    "판타지": 1.5,
    "SF": 1.2,
    "모험": 1.5,
    "잠입": 1.2,
    "드라마": 1.0,
    "로맨스": 1.2,
    "액션": 1.0,
    "역사": 1.0,
}


def _genres(rng: random.Random, order: list[str], seen: int) -> tuple[str, ...]:
    # A region's first 14 rooms take every genre once (in a shuffled order), so every region offers
    # every genre; later rooms follow how common each genre is.
    if seen < len(order):
        primary = order[seen]
    else:
        primary = rng.choices(GENRE_NAMES, weights=[_GENRE_WEIGHTS[genre] for genre in GENRE_NAMES])[0]
    genres = [primary]
    roll = rng.random()
    if roll < 0.6:
        genres.append(rng.choice(_COMPANIONS[primary]))
    if roll < 0.15:
        third = rng.choice(_COMPANIONS[genres[1]])
        if third not in genres:
            genres.append(third)
    return tuple(dict.fromkeys(genres))


def _description(rng: random.Random, *, genres, setting, difficulty, fear, min_players, max_players) -> str:
    primary = genres[0]
    sentences = [rng.choice(_STORY[primary]).format(setting=setting)]
    if len(genres) > 1 and rng.random() < 0.5:
        sentences.append(rng.choice(_STORY[genres[1]]).format(setting=setting))
    sentences.append(rng.choice(_PLAY))
    extras = []
    if difficulty <= 2:
        extras.append(rng.choice(_AUDIENCE_EASY))
    elif difficulty >= 4:
        extras.append(rng.choice(_AUDIENCE_HARD))
    if min_players <= 2 and max_players <= 4 and ("로맨스" in genres or "감성" in genres):
        extras.append(rng.choice(_AUDIENCE_COUPLE))
    elif max_players >= 6:
        extras.append(rng.choice(_AUDIENCE_GROUP))
    if fear <= 1 and "공포" not in genres:
        extras.append(rng.choice(_FEAR_SOFT))
    elif fear >= 4:
        extras.append(rng.choice(_FEAR_HARD))
    rng.shuffle(extras)
    sentences += extras
    # Some story lines are two sentences: count real sentences, keep at most four.
    flat = [part for line in sentences for part in re.split(r"(?<=[.?!])\s+", line)]
    return " ".join(flat[:4])


def catalogue_build(*, room_count: int = DEFAULT_ROOMS) -> Catalogue:
    """The first `room_count` rooms of the demo catalogue (and their stores), always the same."""
    rng = random.Random(SEED)
    store_count = max(1, math.ceil(room_count / ROOMS_PER_STORE))
    stores = _stores(rng, store_count)
    rooms: list[RoomSpec] = []
    region_orders = {region: rng.sample(GENRE_NAMES, len(GENRE_NAMES)) for region in REGION_NAMES}
    region_seen = dict.fromkeys(REGION_NAMES, 0)
    used_names: set[str] = set()
    used_descriptions: set[str] = set()
    for index in range(room_count):
        store = stores[index % store_count]
        genres = _genres(rng, region_orders[store.region], region_seen[store.region])
        region_seen[store.region] += 1
        primary = genres[0]
        setting = rng.choice(_SETTINGS[primary])
        base = f"{setting}{rng.choice(_NAME_TAILS[primary])}"
        name = base
        serial = 2
        while name in used_names:
            name = f"{base} {serial}"
            serial += 1
        used_names.add(name)
        difficulty = _clip(round(rng.gauss(3, 1)) + _GENRE_DIFFICULTY.get(primary, 0), 1, 5)
        if "공포" in genres:
            fear = _clip(round(rng.gauss(4 if primary == "공포" else 3, 0.8)), 2, 5)
        elif "스릴러" in genres:
            fear = _clip(round(rng.gauss(2.5, 0.8)), 1, 4)
        else:
            fear = _clip(round(rng.gauss(0.5, 0.7)), 0, 2)
        activity = _clip(round(rng.gauss(3, 1)) + _GENRE_ACTIVITY.get(primary, 0), 1, 5)
        min_players = rng.choices((1, 2, 3), weights=(1, 8, 2))[0]
        max_players = rng.choices((4, 5, 6, 8), weights=(6, 4, 3, 1))[0]
        max_players = max(max_players, min_players + 1)
        if "로맨스" in genres and rng.random() < 0.6:  # couple rooms: some take exactly two
            min_players, max_players = 2, rng.choice((2, 3, 4))
        duration = rng.choices((60, 70, 75, 80, 90, 100, 120), weights=(8, 6, 3, 5, 3, 1, 1))[0]
        price = _clip(20_000 + (duration - 60) * 150 + rng.choice((0, 1000, 2000, 3000, 4000, 5000)), 18_000, 35_000)
        price = price // 1000 * 1000
        review_count = int(rng.lognormvariate(4.0, 1.0)) + 3
        rating = round(_clip(round(rng.gauss(4.1, 0.4) * 10), 28, 50) / 10, 1)
        for _ in range(20):  # descriptions differ from room to room: draw again on a repeat
            description = _description(
                rng,
                genres=genres,
                setting=setting,
                difficulty=difficulty,
                fear=fear,
                min_players=min_players,
                max_players=max_players,
            )
            if description not in used_descriptions:
                break
        used_descriptions.add(description)
        rooms.append(
            RoomSpec(
                key=index,
                store_key=store.key,
                name=name,
                region=store.region,
                genres=genres,
                setting=setting,
                difficulty=difficulty,
                fear=fear,
                activity=activity,
                min_players=min_players,
                max_players=max_players,
                duration_minutes=duration,
                price=price,
                description=description,
                rating=rating,
                review_count=review_count,
            )
        )
    return Catalogue(stores=stores, rooms=rooms)
