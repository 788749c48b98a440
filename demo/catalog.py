"""A deterministic demo catalogue: the same stores and rooms on every machine and every run.

Everything comes from one seeded `random.Random`, so room N is always the same room and the
search bench can label its queries from the facts kept here (region, genres, setting, numbers).

Names and descriptions are put together from per-genre and per-setting material; particles
(을/를, 이/가, …) are chosen by `josa` from the word they follow, never written into a template.
Description words are chosen so that the search index reads the room's own genres from them and
no other: a genre word ('무서운', '탐정', '마법', …) appears only in rooms of that genre, a
word of a search wish ('쉬운', '고인물', '커플', '단체', '안 무서운') only where the facts say so.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass

from rooms.vocabulary import GENRE_NAMES, REGION_NAMES

DEFAULT_ROOMS = 320
ROOMS_PER_STORE = 5
# Any seed gives a good catalogue; this one also gives every labelled query of the search bench
# (bench/search_queries.py, 'region + setting' ones included) a relevant room (a demo test checks it).
SEED = 20260477

# --- Korean particles ---------------------------------------------------------------------------

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_RIEUL = 8  # index of ㄹ among the final consonants
# The final consonant of a trailing digit or Latin letter as read aloud: 0 (영, 십, 백, 천), 3 (삼),
# 6 (육), M (엠), N (엔) end in a consonant, 1 (일), 7 (칠), 8 (팔), L (엘), R (알) in ㄹ; the rest in a vowel.
_READ_FINAL = {
    "0": 21,
    "3": 16,
    "6": 1,
    "m": 16,
    "n": 4,
    "1": _RIEUL,
    "7": _RIEUL,
    "8": _RIEUL,
    "l": _RIEUL,
    "r": _RIEUL,
}
PARTICLE_PAIRS = ("을/를", "이/가", "은/는", "으로/로", "과/와", "이나/나")
_PAIR_OF = {form: pair for pair in PARTICLE_PAIRS for form in pair.split("/")}


def final_consonant(word: str) -> int:
    """The final consonant (받침) index of the last sound of `word`: 0 for none, 8 for ㄹ."""
    last = word.rstrip()[-1:]
    if not last:
        return 0
    if _HANGUL_FIRST <= ord(last) <= _HANGUL_LAST:
        return (ord(last) - _HANGUL_FIRST) % 28
    return _READ_FINAL.get(last.lower(), 0)


def josa(word: str, particle: str) -> str:
    """`word` with the form of `particle` its last sound takes: josa('기차역', '로') == '기차역으로'.

    `particle` is either form of a pair ('을', '를' or '을/를'). 으로/로: words ending in a vowel or
    ㄹ take 로 ('학교로', '길로'), other final consonants 으로 ('기차역으로').
    """
    with_final, without_final = _PAIR_OF[particle.split("/")[0]].split("/")
    final = final_consonant(word)
    if with_final == "으로":
        return word + ("로" if final in (0, _RIEUL) else "으로")
    return word + (with_final if final else without_final)


_SLOT = re.compile(r"\{(\w+)(?:\|(\w+))?\}")


def _render(template: str, **values: object) -> str:
    """Fill `{name}` and `{name|particle}` (the value followed by the particle form it takes)."""

    def fill(match: re.Match) -> str:
        value = str(values[match.group(1)])
        return josa(value, match.group(2)) if match.group(2) else value

    return _SLOT.sub(fill, template)


# --- stores -------------------------------------------------------------------------------------

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

# --- rooms: per genre, settings (배경) with the places in them and the things found there --------
# A spot is a place ("{spot}에서 발견된 …", "{spot}까지 가야"); a thing is an object ("{thing|을}
# 노리는", "{thing}에 숨겨진 …"). No word here belongs to another genre's search vocabulary.


@dataclass(frozen=True)
class Setting:
    spots: tuple[str, ...]
    things: tuple[str, ...]


SETTINGS: dict[str, dict[str, Setting]] = {
    "공포": {
        "폐병원": Setting(
            ("지하 영안실", "불 꺼진 간호사실", "환자 기록 보관실", "3층 수술실"),
            ("녹슨 수술대", "피 묻은 환자복", "멈춘 벽시계"),
        ),
        "폐교": Setting(
            ("텅 빈 음악실", "3층 끝 교실", "낡은 교무실", "과학실"),
            ("과학실 인체 모형", "낡은 출석부", "저절로 울리는 피아노"),
        ),
        "흉가": Setting(
            ("삐걱거리는 안방", "못질된 골방", "뒤뜰 우물가"), ("금이 간 거울", "빛바랜 흑백사진", "낡은 자개장")
        ),
        "지하 납골당": Setting(
            ("가장 깊은 안치실", "촛불이 꺼진 제단", "녹슨 철문 너머"), ("이름 없는 유골함", "꺼진 촛대", "낡은 위패")
        ),
        "인형 공방": Setting(
            ("커튼 뒤 작업실", "인형 진열장 앞", "지하 재료 창고"),
            ("눈알 빠진 인형", "작업대 위 바늘통", "주인의 작업 일지"),
        ),
        "산속 폐가": Setting(
            ("무너진 헛간", "그을린 부엌", "다락방", "마당 우물가"), ("녹슨 낫", "찢어진 부적", "낡은 일기장")
        ),
        "정신병동": Setting(
            ("격리 병실", "진료 기록 보관실", "복도 끝 샤워실", "잠긴 원장실"), ("구속복", "환자의 그림", "깨진 거울")
        ),
        "저주받은 저택": Setting(
            ("지하 와인 창고", "굳게 닫힌 응접실", "삐걱대는 계단 위"),
            ("먼지 쌓인 초상화", "멈춘 괘종시계", "저주가 적힌 편지"),
        ),
    },
    "스릴러": {
        "연쇄살인범의 아지트": Setting(
            ("지하 작업실", "잠긴 냉동 창고", "사진이 빼곡한 방"), ("피 묻은 작업대", "살인마의 수첩", "녹슨 공구함")
        ),
        "지하 벙커": Setting(
            ("통신실", "비상 발전기실", "방폭문 너머 창고"), ("고장 난 무전기", "철제 침대 밑 상자", "벽에 새겨진 숫자")
        ),
        "감금된 창고": Setting(
            ("녹슨 컨테이너 안", "천장 환풍구 위", "2층 사무실"),
            ("쇠사슬 감긴 기둥", "감시 카메라", "자물쇠 달린 상자"),
        ),
        "폐공장": Setting(
            ("보일러실", "2층 관리자 사무실", "멈춘 컨베이어 벨트 옆"),
            ("녹슨 크레인 조종기", "출근 기록부", "기름 묻은 장갑"),
        ),
        "심야 택시": Setting(
            ("뒷좌석", "트렁크 안", "운전석"), ("블랙박스 영상", "깜빡이는 미터기", "조수석 글러브박스")
        ),
        "외딴 모텔": Setting(("207호 욕실", "프런트", "주차장 끝 창고"), ("숙박부", "복도 감시 카메라", "열쇠 꾸러미")),
    },
    "추리": {
        "탐정 사무소": Setting(
            ("사무소 응접실", "자료 보관실", "옥상 창고"), ("사건 파일 캐비닛", "의뢰인의 편지", "벽에 붙은 사건 지도")
        ),
        "외딴 섬 별장": Setting(
            ("피해자의 서재", "선착장 보트 창고", "손님들이 묵은 객실"),
            ("타다 남은 편지", "멈춘 회중시계", "찢어진 유언장"),
        ),
        "침대 열차": Setting(
            ("3호차 침대칸", "식당칸", "잠긴 화물칸", "차장실"), ("구겨진 기차표", "승객 명부", "깨진 찻잔")
        ),
        "고급 호텔": Setting(
            ("스위트룸", "연회장 무대 뒤", "직원용 계단"), ("투숙객 명부", "객실 청소 카트", "금박 초대장")
        ),
        "작은 시골 마을": Setting(
            ("마을 회관", "이장님 댁 창고", "문 닫은 방앗간", "어귀의 정자"),
            ("방송실 녹음 테이프", "흙 묻은 장화", "우편함 속 협박 편지"),
        ),
        "경찰서 취조실": Setting(
            ("취조실", "증거물 보관실", "형사과 사무실"), ("용의자 진술서", "취조실 녹음기", "담당 형사의 수첩")
        ),
    },
    "미스터리": {
        "사라진 박물관": Setting(
            ("관장의 집무실", "지하 수장고", "이집트관"), ("텅 빈 유물 진열장", "석관", "오래된 관람 안내도")
        ),
        "오래된 도서관": Setting(
            ("고문서 열람실", "시계탑 아래 서고", "금서 서가"),
            ("먼지 쌓인 카드 목록함", "반납되지 않은 책", "사서의 일지"),
        ),
        "안개 낀 등대": Setting(
            ("꼭대기 등명실", "나선형 계단", "바위 틈 창고"), ("등대지기의 일지", "멈춘 등불", "낡은 해도")
        ),
        "비밀 결사의 본부": Setting(
            ("입회 의식을 치르는 방", "기록 보관실", "지하 회랑"), ("회합용 원탁", "문장이 새겨진 반지", "봉인된 명부")
        ),
        "버려진 놀이공원": Setting(
            ("거울 미로", "녹슨 매표소", "범퍼카장"), ("멈춘 회전목마", "빛바랜 입장권", "고장 난 오르골")
        ),
    },
    "감성": {
        "할머니의 다락방": Setting(
            ("다락방 창가", "나무 반닫이 앞", "계단 밑 수납장"), ("낡은 재봉틀", "빛바랜 앨범", "손때 묻은 일기장")
        ),
        "바닷가 사진관": Setting(
            ("암실", "촬영실", "창가 진열대"), ("오래된 필름 카메라", "찾아가지 않은 사진 봉투", "바랜 흑백사진")
        ),
        "오래된 우체국": Setting(
            ("창구 뒤 분류실", "우체국장실", "지하 보관 창고"),
            ("빨간 우체통", "손으로 쓴 전보", "주인을 찾지 못한 편지"),
        ),
        "별이 보이는 옥상": Setting(
            ("옥상 평상", "물탱크 옆", "화분이 놓인 난간"), ("작은 천체 망원경", "담요 속 상자", "별자리 지도")
        ),
        "작은 꽃집": Setting(
            ("유리 온실", "꽃다발 포장대", "창가 화분 선반"), ("단골손님 주문 장부", "시든 화분", "리본 상자")
        ),
    },
    "코믹": {
        "난장판 편의점": Setting(
            ("창고", "계산대 뒤", "음료 냉장고 앞"), ("고장 난 계산기", "컵라면 상자", "알바생 근무 일지")
        ),
        "엉망진창 결혼식장": Setting(
            ("신부 대기실", "축가 무대", "폐백실"), ("무너진 웨딩 케이크", "뒤바뀐 하객 명단", "사라진 반지 상자")
        ),
        "수상한 분식집": Setting(
            ("주방", "창고", "카운터 뒤"), ("떡볶이 소스 통", "벽에 붙은 메뉴판", "사장님의 비밀 레시피 노트")
        ),
        "시트콤 촬영장": Setting(
            ("소품 창고", "조명이 꺼진 세트", "분장실"), ("감독의 대본", "고장 난 카메라", "출연자 대기표")
        ),
        "고양이 카페": Setting(
            ("캣타워 꼭대기", "간식 창고", "고양이 놀이방"), ("간식 서랍", "손님 방명록", "방울 달린 장난감")
        ),
    },
    "판타지": {
        "마법 학교": Setting(
            ("금지된 책들의 서가", "물약 실험실", "움직이는 계단 위", "교장실"),
            ("수정 구슬", "부러진 지팡이", "말하는 초상화"),
        ),
        "용의 둥지": Setting(
            ("그을린 동굴 벽 너머", "황금 더미 뒤", "둥지 가장 깊은 곳"),
            ("거대한 알", "떨어진 드래곤 비늘", "잠든 드래곤의 목걸이"),
        ),
        "요정의 숲": Setting(
            ("빛나는 버섯 군락", "고목에 난 작은 문", "달빛 샘물가"),
            ("요정 여왕의 왕관", "반짝이는 날개 가루", "마법 씨앗"),
        ),
        "연금술사의 공방": Setting(
            ("지하 실험실", "약초 창고", "별자리 관측실"), ("끓고 있는 가마솥", "현자의 돌", "봉인된 실험 노트")
        ),
        "하늘 위의 성": Setting(
            ("구름 다리", "바람의 탑", "하늘 정원", "기사단의 무기고"),
            ("기사의 투구", "성주의 옥좌", "바람개비 나침반"),
        ),
    },
    "SF": {
        "우주정거장": Setting(("관제 모듈", "무중력 실험실", "도킹 해치"), ("산소 공급 장치", "항법 컴퓨터", "우주복")),
        "화성 기지": Setting(
            ("에어록", "외계 생명체 격리실", "온실 모듈", "탐사 로버 차고"),
            ("통신 안테나", "화성 암석 표본", "산소 탱크"),
        ),
        "인공지능 연구소": Setting(
            ("서버실", "연구원 출입 게이트", "로봇 보관실"), ("메인 제어 콘솔", "폐기된 로봇 팔", "인공지능 코어")
        ),
        "타임머신 실험실": Setting(
            ("동력 코어실", "실험 관찰실", "시간 여행 캡슐 안"),
            ("시간 좌표 입력기", "시간 왜곡 측정기", "실험 기록 단말기"),
        ),
        "사이버 도시": Setting(
            ("네온 간판 골목", "지하 데이터 센터", "홀로그램 광고탑 아래"),
            ("해킹된 감시 드론", "암호화된 칩", "의체 부품"),
        ),
    },
    "모험": {
        "정글 유적": Setting(
            ("덩굴에 덮인 제단", "흔들다리 건너편", "뱀이 새겨진 석문 안"),
            ("부서진 석판", "황금 가면", "낡은 탐험 일지"),
        ),
        "해적선": Setting(("선장실", "화물칸", "돛대 위 망루"), ("보물 상자", "낡은 항해 일지", "녹슨 나침반")),
        "사막의 피라미드": Setting(
            ("모래 함정 통로", "숨겨진 묘실", "상형문자 벽화 앞"),
            ("파라오의 석관", "황금 풍뎅이 장식", "파피루스 두루마리"),
        ),
        "설산 캠프": Setting(
            ("눈에 묻힌 텐트", "빙벽 아래 동굴", "베이스캠프 창고"),
            ("얼어붙은 무전기", "산악 대장의 배낭", "끊어진 로프"),
        ),
        "잃어버린 보물 동굴": Setting(
            ("지하 호수", "무너진 갱도", "박쥐가 사는 천장 아래"), ("찢어진 지도 조각", "녹슨 곡괭이", "낡은 광산 수레")
        ),
    },
    "잠입": {
        "국가정보원 금고": Setting(
            ("레이저 센서 복도", "보안 요원 대기실", "지하 기록실"), ("기밀 문서", "지문 인식 장치", "보안 카드")
        ),
        "카지노 VIP룸": Setting(
            ("환전소 창구", "지배인 사무실", "보안 감시실"), ("포커 테이블 칩", "큰손 고객 장부", "황금 주사위")
        ),
        "미술관 보안실": Setting(
            ("명화 수장고", "적외선 센서 복도", "경비 대기실"), ("감시 모니터", "경비 교대 일지", "도난 경보 장치")
        ),
        "적국 대사관": Setting(("대사 집무실", "암호 통신실", "연회장"), ("외교 행낭", "암호표", "대사의 인장")),
        "재벌가 서재": Setting(
            ("책장 뒤 비밀 공간", "벽난로 옆", "회장님의 책상 앞"), ("비밀 금고", "서류 파쇄기", "유언장 사본")
        ),
    },
    "드라마": {
        "오래된 극장": Setting(
            ("먼지 쌓인 무대", "영사실", "분장실", "매표소"), ("낡은 공연 포스터", "분장실 거울", "필름 통")
        ),
        "시골 기차역": Setting(
            ("역장실", "대합실", "녹슨 철로 옆"), ("분실물 보관함", "손때 묻은 승차권", "역장의 회중시계")
        ),
        "가족 식당": Setting(
            ("주방", "카운터", "다락 창고"), ("벽에 걸린 가족사진", "외상 장부", "오래된 레시피 수첩")
        ),
        "병원 대기실": Setting(("대기실 소파", "간호사 데스크", "복도 끝 창가"), ("번호표", "보호자 동의서", "꽃다발")),
        "졸업식 날의 교실": Setting(
            ("교탁 앞", "뒷자리 사물함", "칠판 앞"), ("타임캡슐", "칠판에 남은 낙서", "졸업 앨범")
        ),
    },
    "로맨스": {
        "첫사랑의 카페": Setting(("창가 2인석", "카운터", "테라스"), ("메뉴판 뒤 쪽지", "단골 쿠폰", "커피 머신")),
        "벚꽃길 공원": Setting(
            ("벚나무 아래 벤치", "분수대", "산책로 끝 정자"),
            ("자물쇠가 걸린 울타리", "꽃잎이 끼워진 편지", "산책로 지도"),
        ),
        "청춘 영화관": Setting(("매표소", "맨 뒷줄 좌석", "영사실"), ("영화표 두 장", "팝콘 통", "영화 포스터")),
        "놀이공원 관람차": Setting(
            ("꼭대기 칸", "탑승 대기 줄", "기념품 가게"), ("관람차 조종판", "커플 머리띠", "하트 풍선")
        ),
        "커플 사진관": Setting(("포토 부스", "촬영 대기실", "인화실"), ("소품 바구니", "인화된 사진", "필름 카메라")),
    },
    "액션": {
        "무너지는 빌딩": Setting(
            ("금이 간 계단", "옥상 헬기장", "흔들리는 철골 통로"), ("멈춰 선 엘리베이터", "비상 무전기", "구조 로프")
        ),
        "폭탄이 설치된 지하철": Setting(
            ("기관실", "객차 연결 통로", "마지막 칸"), ("선반 위 가방", "비상 제동 장치", "타이머")
        ),
        "조직의 창고": Setting(
            ("컨테이너 미로", "보스의 사무실", "지게차 통로"), ("무기 보관대", "밀수 장부", "밀수품 상자")
        ),
        "탈옥수의 감옥": Setting(
            ("독방", "감시탑", "세탁실", "교도관 당직실"), ("배수구 뚜껑", "탈옥 지도", "열쇠 꾸러미")
        ),
        "테러범의 본부": Setting(
            ("폭탄 제조실", "통신 장비실", "인질이 갇힌 방", "옥상 탈출구"), ("기폭 장치", "테러 계획서", "무전기")
        ),
    },
    "역사": {
        "조선 궁궐": Setting(("임금의 침전", "규장각 서고", "궐내 우물가"), ("어좌 뒤 병풍", "옥새함", "임금의 교지")),
        "독립운동가의 은신처": Setting(
            ("다락", "마루 밑 통로", "벽장 속"), ("태극기", "비밀 연락 장부", "낡은 인쇄기")
        ),
        "고려 왕릉": Setting(
            ("석실 입구", "도굴꾼이 남긴 구덩이", "무인석 뒤"), ("청자 부장품", "금동 장식", "닳아 버린 비문")
        ),
        "일제강점기 경성 거리": Setting(
            ("전차 정류장", "다방 뒷방", "신문사 윤전실", "양복점"), ("독립 선언문", "암호 편지", "회중시계")
        ),
        "삼국시대 성벽": Setting(
            ("봉수대", "성문 망루", "군량 창고", "장군의 막사"), ("장군의 칼", "봉화 신호표", "목간")
        ),
    },
}
# Who runs the place, for the stories that need someone to go missing.
OWNERS = {
    "난장판 편의점": "점장님",
    "엉망진창 결혼식장": "웨딩플래너",
    "수상한 분식집": "사장님",
    "시트콤 촬영장": "감독님",
    "고양이 카페": "사장님",
}

# Name tails; `{setting}` is the setting, `{setting|을}` the setting and the particle it takes.
_NAME_TAILS: dict[str, tuple[str, ...]] = {
    "공포": (
        "{setting}의 비명",
        "{setting}의 마지막 밤",
        "{setting}에서 온 편지",
        "{setting}의 속삭임",
        "{setting}: 돌아오지 못한 사람들",
        "{setting}에 혼자 남다",
        "{setting}: 새벽 3시",
    ),
    "스릴러": (
        "{setting}의 초대",
        "{setting}: 72시간",
        "{setting}의 덫",
        "{setting}에서 살아남기",
        "{setting}의 목격자",
        "{setting}: 카운트다운",
    ),
    "추리": (
        "{setting} 살인사건",
        "{setting}의 진범",
        "{setting}의 알리바이",
        "{setting}의 증언",
        "{setting}: 마지막 단서",
        "{setting}: 일곱 번째 용의자",
    ),
    "미스터리": (
        "{setting}의 비밀",
        "{setting}의 수수께끼",
        "{setting}의 봉인",
        "{setting}: 열리지 않는 문",
        "{setting}에 숨겨진 것",
        "{setting}: 일곱 번째 열쇠",
    ),
    "감성": (
        "{setting}의 편지",
        "{setting}에서 기다릴게",
        "{setting}의 마지막 여름",
        "{setting}의 오후",
        "{setting}: 다시 만나는 날",
        "{setting}: 너에게 보내는 답장",
    ),
    "코믹": (
        "{setting}의 대소동",
        "{setting} 대작전",
        "{setting|은} 오늘도 평화롭다",
        "{setting}에서 생긴 일",
        "{setting}: 웃음 경보",
    ),
    "판타지": (
        "{setting}의 마법사",
        "{setting}의 전설",
        "{setting}의 수호자",
        "{setting}: 마지막 주문",
        "{setting}: 별빛 열쇠",
        "{setting}에 깃든 힘",
    ),
    "SF": (
        "{setting} 탈출 프로토콜",
        "{setting}의 마지막 신호",
        "{setting} 2099",
        "{setting}의 반란",
        "{setting}: 코드 제로",
    ),
    "모험": (
        "{setting}의 보물",
        "{setting} 원정대",
        "{setting}의 지도",
        "{setting|을} 찾아서",
        "{setting}: 마지막 탐험",
    ),
    "잠입": (
        "{setting} 침투 작전",
        "{setting}의 금고",
        "{setting|을} 털어라",
        "{setting}: 미션 임파서블",
        "{setting}의 이중간첩",
    ),
    "드라마": (
        "{setting}의 기억",
        "{setting}에서 보낸 하루",
        "{setting}의 약속",
        "{setting|으로} 돌아가다",
        "{setting}: 우리들의 이야기",
        "{setting}에 남은 사람들",
    ),
    "로맨스": (
        "{setting}에서 고백",
        "{setting}의 첫사랑",
        "{setting}의 설렘",
        "{setting}에서 만난 너",
        "{setting}: 러브레터",
    ),
    "액션": (
        "{setting} 대탈출",
        "{setting}의 인질",
        "{setting} 폭파 10분 전",
        "{setting}의 반격",
        "{setting}: 라스트 미션",
    ),
    "역사": (
        "{setting}의 밀서",
        "{setting}에 부는 바람",
        "{setting}의 비밀 결사",
        "{setting}의 옥새",
        "{setting}: 잊혀진 이름",
    ),
}

# Description material per genre. Hooks open a room's story in its setting; goals say what the
# players must do (with the room's minutes); flavours add a second genre without naming a place
# that would not fit the setting (a dragon's nest never gets a shop owner).
_HOOKS: dict[str, tuple[str, ...]] = {
    "공포": (
        "{setting}에 들어서자마자 문이 잠기고, {spot}에서 낯선 발소리가 들려옵니다.",
        "밤마다 {spot}에서 울음소리가 들린다는 {setting}, 소문의 정체를 확인하러 들어갑니다.",
        "오래전 {setting}에서 사라진 사람들의 흔적이 {spot}에 그대로 남아 있습니다.",
        "불빛 하나 없는 {setting}, {spot}부터 소름 돋는 연출이 이어집니다.",
        "{setting|을} 떠도는 귀신의 원한을 풀지 못하면 아무도 밖으로 나갈 수 없습니다.",
        "촬영을 하러 {setting}에 들어간 사람들과 연락이 끊겼고, 마지막 영상은 {spot}에서 멈춰 있습니다.",
        "{setting}의 {spot}에서 유령을 봤다는 이야기가 끊이지 않습니다.",
        "{thing|을} 건드린 순간부터 {setting}의 저주가 시작됩니다.",
    ),
    "스릴러": (
        "정신을 차려 보니 {setting}, 살인마가 돌아오기 전에 빠져나가야 합니다.",
        "{setting}에 갇힌 당신, {spot}에서 발견한 쪽지에는 다음 희생자의 이름이 적혀 있습니다.",
        "{spot}에서 발소리가 다가오고, {setting}에서 쫓기는 긴박한 추격전이 시작됩니다.",
        "{setting}에서 눈을 뜬 순간 카운트다운이 시작되고, {thing|이} 유일한 단서입니다.",
        "누군가 {setting|을} 지켜보고 있고, {thing}에 남은 흔적이 그 사람을 가리킵니다.",
    ),
    "추리": (
        "{setting}에서 의문의 사건이 벌어졌고, 용의자들의 증언 속 모순을 찾아 범인을 지목해야 합니다.",
        "탐정이 되어 {setting}의 {spot}에서 단서를 모아 사건의 진실을 추리하세요.",
        "{spot}에서 발견된 {thing} 하나가 {setting} 사건의 알리바이를 뒤흔듭니다.",
        "{setting}에 모인 용의자는 다섯 명, 그중 한 사람이 거짓말을 하고 있습니다.",
        "아침이 밝자 {setting}의 {spot}에서 첫 번째 피해자가 발견됩니다.",
    ),
    "미스터리": (
        "{setting}에 숨겨진 오래된 비밀, 풀리지 않은 수수께끼가 당신을 부릅니다.",
        "아무도 설명하지 못한 {setting}의 미스터리, 그 시작은 {thing}입니다.",
        "{thing}에 새겨진 기묘한 상징이 {setting}의 봉인된 문으로 이어집니다.",
        "한밤중 {setting}에서 사람들이 하나둘 사라졌고, 남은 것은 {thing}뿐입니다.",
        "{setting}의 {spot}에서 백 년 전 날짜가 적힌 초대장이 발견됩니다.",
    ),
    "감성": (
        "{setting}에 남겨진 편지를 따라가며 잊고 있던 소중한 기억을 되찾는 이야기입니다.",
        "따뜻한 {setting}, {thing}에 담긴 사연이 하나씩 펼쳐집니다.",
        "{thing|을} 발견한 순간 오래된 약속이 떠오르고, {setting}의 주인이 남긴 마지막 부탁이 시작됩니다.",
        "십 년 만에 다시 찾은 {setting}, {spot}에는 그날의 추억이 그대로 남아 있습니다.",
        "{setting}의 {spot}에서 끝내 부치지 못한 편지 한 통을 발견합니다.",
    ),
    "코믹": (
        "{setting}에서 벌어지는 좌충우돌 소동극, 웃다가 시간 가는 줄 모릅니다.",
        "{thing} 때문에 생긴 작은 실수 하나로 평화롭던 {setting|이} 순식간에 아수라장이 됩니다.",
        "{setting|을} 배경으로 한 코미디, {spot}까지 곳곳에 웃음 포인트가 숨어 있습니다.",
        "엉뚱한 {owner|이} 사라진 {setting}, {spot}부터 뒤져 오늘 하루를 무사히 넘겨야 합니다.",
        "하필 오늘 {setting}에 깐깐한 손님이 찾아왔고, {spot}에서는 사고가 연달아 터집니다.",
    ),
    "판타지": (
        "{setting}에 들어선 순간 마법의 세계가 펼쳐지고, 잃어버린 마법서를 찾아야 합니다.",
        "전설 속 {setting}, {spot}에 잠든 힘을 깨우려면 주문을 완성해야 합니다.",
        "{setting}의 수호자가 되어 어둠의 마법사로부터 {thing|을} 지켜 내는 이야기입니다.",
        "{spot}에서 흘러나오는 빛을 따라가면 {setting}의 오래된 예언이 모습을 드러냅니다.",
        "견습 마법사가 되어 {setting}에 발을 들인 첫날, {thing}에 걸린 봉인이 풀려 버립니다.",
    ),
    "SF": (
        "서기 2099년, {setting}의 시스템이 멈췄고 {spot|과}의 연락마저 끊겼습니다.",
        "{setting}에서 폭주한 인공지능이 {spot|을} 장악했습니다.",
        "먼 미래의 {setting}, 첨단 장치와 홀로그램 퍼즐이 {spot}까지 이어집니다.",
        "{spot}에서 울리는 경보음과 함께 {setting}의 비상 프로토콜이 시작됩니다.",
        "{setting}에 정체불명의 외계 신호가 잡힌 뒤로 {spot}에서 이상한 일이 벌어집니다.",
    ),
    "모험": (
        "{setting}에 숨겨진 전설의 보물을 찾아 떠나는 여정이 시작됩니다.",
        "함정이 가득한 {setting|을} 돌파해 실종된 원정대의 행방을 찾아내세요.",
        "지도 한 장만 들고 {setting|으로} 향하는 탐험, {spot}부터 만만치 않습니다.",
        "{spot}에서 발견된 낡은 나침반이 {setting} 깊은 곳을 가리킵니다.",
        "전설의 탐험가가 마지막으로 향한 곳은 {setting}, 이제 {spot}에는 {thing}만 남아 있습니다.",
    ),
    "잠입": (
        "요원이 되어 {setting}에 잠입한 당신, 경비의 눈을 피해 {spot}까지 가야 합니다.",
        "보안 시스템을 해제하고 {setting}의 {thing|을} 노리는 스파이 작전입니다.",
        "{setting}에 침투해 들키지 않고 임무를 완수해야 하며, {spot}의 센서를 조심해야 합니다.",
        "내부자가 남긴 설계도에 따르면 {setting}의 약점은 {spot}에 있습니다.",
        "전설의 도둑이 되어 {setting}에 몰래 숨어든 밤, 목표는 {thing}입니다.",
    ),
    "드라마": (
        "{setting}에서 한 가족의 오래된 사연을 따라가는 이야기입니다.",
        "{setting}에 모인 사람들의 엇갈린 인생, 그 끝에서 진심을 마주하게 됩니다.",
        "평범한 {setting}에서 시작된 하루가 {spot}에서 발견한 편지로 달라집니다.",
        "{thing}에 남은 흔적을 따라가다 보면 {setting|을} 지켜 온 사람들의 이야기가 들려옵니다.",
        "문을 닫기 전 마지막 날의 {setting}, {spot}에는 부모님이 숨겨 둔 사연이 있습니다.",
    ),
    "로맨스": (
        "{setting}에서 시작된 두 사람의 설레는 이야기, 고백을 완성해 주세요.",
        "고백 편지를 잃어버린 주인공을 도와 {setting}의 {spot}부터 뒤져 보세요.",
        "{setting}에서 엇갈린 인연을 이어 주는 달콤한 연애 이야기입니다.",
        "{spot}에 숨겨 둔 반지를 찾아야 {setting}에서의 고백 이벤트가 완성됩니다.",
        "매일 같은 시간 {setting}에 나타나는 그 사람, {spot}에 남긴 쪽지가 사랑의 시작입니다.",
    ),
    "액션": (
        "{setting}에서 인질을 구하고 제한시간 안에 탈출해야 하는 액션 테마입니다.",
        "{setting}에서 벌어지는 탈출극, {spot|을} 지나려면 기어가고 뛰어야 합니다.",
        "경보가 울려 퍼지는 {setting}, 팀워크로 {spot}까지 돌파하세요.",
        "{spot}에서 시작되는 추격전, {setting}의 출구는 단 하나입니다.",
        "시간이 얼마 남지 않은 {setting}, {spot}에 갇힌 인질들이 구조를 기다립니다.",
    ),
    "역사": (
        "{setting|을} 배경으로 역사 속에 묻힌 비밀을 밝혀내는 이야기입니다.",
        "{setting}의 {spot}에 숨겨진 밀서를 찾아 나라의 운명을 바꾸세요.",
        "시간을 거슬러 {setting|으로}, 실제 역사에서 모티브를 얻은 퍼즐이 등장합니다.",
        "{spot}에서 발견된 {thing|이} {setting}에 얽힌 음모를 드러냅니다.",
        "{setting}에서 사라진 보검의 행방을 쫓는 여정은 {spot}에서 시작됩니다.",
    ),
}
_GOALS: dict[str, tuple[str, ...]] = {
    "공포": (
        "{minutes}분 안에 {spot}에 숨겨진 출구를 찾아야 합니다.",
        "제한시간 {minutes}분, {thing|과} 얽힌 저주의 실마리를 풀어야 살아 나갈 수 있습니다.",
        "{spot|을} 뒤져 마지막 열쇠를 찾고 {minutes}분 안에 빠져나오세요.",
    ),
    "스릴러": (
        "살인마가 돌아오기까지 남은 시간은 {minutes}분, {spot|을} 살펴 탈출로를 찾아야 합니다.",
        "{minutes}분 안에 {thing}에 숨겨진 진실을 밝혀내고 살아남으세요.",
        "들키지 않고 {spot|을} 지나 {minutes}분 안에 밖으로 나가야 합니다.",
    ),
    "추리": (
        "{minutes}분 안에 {thing|을} 포함한 모든 증거를 맞춰 보고 진범을 지목하세요.",
        "알리바이를 하나씩 무너뜨리며 {minutes}분 안에 사건의 전말을 밝혀야 합니다.",
        "결정적인 증거는 {spot}에 숨어 있으니 {minutes}분 동안 꼼꼼히 살펴보세요.",
    ),
    "미스터리": (
        "{minutes}분 안에 {thing}에 숨겨진 암호를 해독해 봉인을 풀어야 합니다.",
        "흩어진 상징의 의미를 읽어 내고 {minutes}분 안에 마지막 문을 여세요.",
        "{spot}에서 시작되는 수수께끼를 풀어 {minutes}분 안에 진실에 닿아야 합니다.",
    ),
    "감성": (
        "{minutes}분 동안 {thing}에 담긴 추억을 모아 전하지 못한 마음을 전해 주세요.",
        "{setting}의 주인을 도와 {minutes}분 안에 오래된 약속을 지켜야 합니다.",
        "흩어진 기억의 조각을 맞추다 보면 {minutes}분이 금방 지나갑니다.",
    ),
    "코믹": (
        "{minutes}분 안에 {thing}에 얽힌 오해를 풀고 소동을 수습하세요.",
        "웃음을 참으며 {minutes}분 안에 이 모든 소동의 원인을 찾아야 합니다.",
        "{spot}에 숨은 엉뚱한 힌트를 찾아 {minutes}분 안에 상황을 정리해 주세요.",
    ),
    "판타지": (
        "{minutes}분 안에 네 가지 원소의 주문을 모아 {thing}에 걸린 봉인을 풀어야 합니다.",
        "마법 장치를 하나씩 깨우며 {minutes}분 안에 {spot}에 닿아야 합니다.",
        "{spot}에 숨겨진 마지막 주문을 찾아 {minutes}분 안에 세계를 구하세요.",
    ),
    "SF": (
        "{minutes}분 안에 {spot}에서 단서를 찾아 시스템을 되살려야 합니다.",
        "카운트다운이 끝나기 전, {minutes}분 안에 {thing}에 숨겨진 접속 코드를 찾아야 합니다.",
        "{spot}부터 시작해 {minutes}분 안에 메인 시스템의 제어권을 되찾으세요.",
    ),
    "모험": (
        "{minutes}분 안에 {spot|을} 지나 보물이 잠든 마지막 방에 닿아야 합니다.",
        "곳곳의 함정을 피하며 {minutes}분 안에 {spot}에 숨겨진 열쇠를 손에 넣으세요.",
        "{thing}에서 찾은 단서로 {minutes}분 안에 탈출 경로를 열어야 합니다.",
    ),
    "잠입": (
        "경비가 교대하는 {minutes}분 동안 {spot}에서 {thing|을} 빼내야 합니다.",
        "{minutes}분 안에 {spot|을} 통과해 흔적 없이 빠져나오세요.",
        "들키는 순간 임무 실패, {minutes}분 안에 {thing|을} 확보해야 합니다.",
    ),
    "드라마": (
        "{minutes}분 동안 {thing}에 얽힌 사연을 풀어 헤어진 가족을 다시 이어 주세요.",
        "{minutes}분 안에 {spot}에서 마지막 조각을 찾아 이야기를 완성해야 합니다.",
        "서로 다른 기억을 맞춰 가며 {minutes}분 안에 그날의 진심에 다가가세요.",
    ),
    "로맨스": (
        "{minutes}분 안에 {thing}에 숨겨진 마음을 찾아 고백을 성공시켜 주세요.",
        "엇갈린 두 사람이 {minutes}분 안에 다시 만날 수 있도록 {spot|을} 살펴 주세요.",
        "{minutes}분 동안 서로의 힌트를 맞춰야 풀리는 연애 퍼즐이 이어집니다.",
    ),
    "액션": (
        "{minutes}분 안에 {spot|을} 돌파해 모두 함께 빠져나와야 합니다.",
        "타이머가 멈추기 전, {minutes}분 안에 {thing}에서 해제 코드를 찾아야 합니다.",
        "동료와 호흡을 맞춰 {minutes}분 안에 {spot}까지 도달하세요.",
    ),
    "역사": (
        "{minutes}분 안에 {thing}에 남은 옛 암호를 풀어 밀서를 전해야 합니다.",
        "감시를 피해 {minutes}분 안에 {spot|을} 지나 약속된 장소에 닿아야 합니다.",
        "{thing}부터 옛 기록을 하나씩 맞춰 {minutes}분 안에 음모의 주인을 밝혀내세요.",
    ),
}
_FLAVOURS: dict[str, tuple[str, ...]] = {
    "공포": (
        "{setting} 곳곳에 깜짝 놀랄 공포 연출이 숨어 있습니다.",
        "불이 꺼질 때마다 귀신이 모습을 드러내는 공포 구간이 있습니다.",
        "{setting}의 어두운 구석에서 들려오는 소리가 오싹한 공포 분위기를 더합니다.",
    ),
    "스릴러": (
        "쫓기는 듯한 긴장감이 {setting} 전체를 감싸는 스릴러 요소가 더해졌습니다.",
        "제한시간이 줄어들수록 조여 오는 스릴이 이야기의 또 다른 축입니다.",
        "누군가 지켜보는 듯한 스릴러 연출이 {setting} 곳곳에 깔려 있습니다.",
    ),
    "추리": (
        "용의자의 진술을 비교해 범인을 찾아내는 추리 요소가 더해졌습니다.",
        "{setting}에 남겨진 단서를 엮어 범인을 밝히는 추리 구간이 있습니다.",
        "탐정처럼 증거를 모아 진실에 다가가는 과정이 이야기의 한 축을 이룹니다.",
    ),
    "미스터리": (
        "설명할 수 없는 현상이 이어지는 미스터리 요소가 이야기에 깊이를 더합니다.",
        "{setting}에 얽힌 수수께끼를 푸는 미스터리 구간이 숨어 있습니다.",
        "풀릴 듯 풀리지 않는 기묘한 상징들이 미스터리한 분위기를 만듭니다.",
    ),
    "감성": (
        "마지막 장면에서 마음이 뭉클해지는 감동적인 엔딩이 기다립니다.",
        "{setting}에 담긴 누군가의 사연이 잔잔한 감동을 더합니다.",
        "퍼즐 사이사이에 따뜻한 감성이 묻어나는 장면들이 있습니다.",
    ),
    "코믹": (
        "곳곳에 숨은 개그 포인트 덕분에 유쾌한 분위기가 이어집니다.",
        "진지한 순간마다 웃음이 터지는 코믹한 장면이 {setting}에 숨어 있습니다.",
        "엉뚱한 등장인물들이 유쾌한 웃음을 더합니다.",
    ),
    "판타지": (
        "{setting}에 마법 같은 장치가 숨어 있어 판타지 분위기를 더합니다.",
        "주문을 외우듯 상징을 맞추는 판타지 퍼즐이 등장합니다.",
        "현실에서 벗어난 듯한 신비로운 판타지 연출이 곳곳에 있습니다.",
    ),
    "SF": (
        "{setting}에 첨단 장치가 가득한 SF 연출이 더해졌습니다.",
        "홀로그램과 센서로 작동하는 미래형 장치가 등장합니다.",
        "먼 미래를 배경으로 한 SF 설정이 이야기에 색다른 재미를 줍니다.",
    ),
    "모험": (
        "{setting} 곳곳의 장애물을 넘는 모험 요소가 더해졌습니다.",
        "숨겨진 길을 찾아 나아가는 탐험 구간이 있습니다.",
        "새로운 공간이 열릴 때마다 모험을 떠나는 듯한 설렘이 있습니다.",
    ),
    "잠입": (
        "경비의 눈을 피해 움직이는 잠입 구간이 긴장감을 더합니다.",
        "{setting} 곳곳의 센서를 피해 지나가는 스파이 작전 같은 장면이 있습니다.",
        "몰래 숨어들어 목표물을 손에 넣는 잠입 미션이 포함되어 있습니다.",
    ),
    "드라마": (
        "인물들의 사연이 차곡차곡 쌓이는 드라마가 이야기의 중심에 있습니다.",
        "{setting}에 얽힌 사람들의 이야기가 잔잔한 드라마를 만듭니다.",
        "엔딩에 다가갈수록 인물의 속마음이 드러나는 드라마 구성입니다.",
    ),
    "로맨스": (
        "두 사람의 엇갈린 인연이 이야기의 한 축을 이루는 로맨스 요소가 있습니다.",
        "{setting}에서 피어나는 설레는 로맨스가 이야기에 더해졌습니다.",
        "고백 장면처럼 설레는 로맨스 연출이 숨어 있습니다.",
    ),
    "액션": (
        "장애물을 넘고 달려야 하는 액션 구간이 포함되어 있습니다.",
        "{setting|을} 가로지르는 추격전 같은 액션 장면이 있습니다.",
        "시간에 쫓기며 돌파하는 액션 요소가 더해졌습니다.",
    ),
    "역사": (
        "실제 역사에서 모티브를 얻은 장치가 이야기에 무게를 더합니다.",
        "{setting}에 옛 시대의 분위기를 살린 역사 소품이 놓여 있습니다.",
        "옛 문서를 해독하는 역사 퍼즐이 포함되어 있습니다.",
    ),
}
# How the room plays: any opening with any closing ("…고, …습니다.").
_PLAY_OPENINGS = (
    "자물쇠보다 장치 비율이 높고",
    "자물쇠 위주의 정통 구성이고",
    "문제 수가 많지 않은 대신 하나하나가 깊이 있고",
    "방이 여러 개로 나뉘어 동선이 넓고",
    "관찰력이 필요한 문제가 많고",
    "팀원 간 소통이 중요한 협동 문제가 많고",
    "숫자와 글자를 다루는 문제가 골고루 섞여 있고",
    "공간이 바뀔 때마다 문제 유형도 달라지고",
    "손으로 직접 조작하는 장치가 많고",
    "문제와 이야기가 자연스럽게 맞물려 있고",
    "여러 갈래로 동시에 풀 수 있어 역할을 나누기 좋고",
)
_PLAY_CLOSINGS = (
    "문제를 풀 때마다 새로운 공간이 열립니다.",
    "인테리어가 정교해 영화 세트장에 들어온 듯합니다.",
    "조명과 음향 연출이 몰입감을 높여 줍니다.",
    "마지막 반전이 인상적입니다.",
    "끝까지 지루할 틈이 없습니다.",
    "힌트 없이 풀어냈을 때의 쾌감이 큽니다.",
    "소품 하나하나에 공을 들인 티가 납니다.",
    "마지막 장치가 작동하는 순간의 짜릿함이 오래 남습니다.",
    "진행 방식이 직관적이라 헤매는 시간이 적습니다.",
    "엔딩 연출까지 완성도가 높습니다.",
)
# Difficulty (1-5) as the first half of the level sentence; the words people search with
# (방린이, 입문자, 쉬운, 처음 / 고인물, 숙련자, 고난도, 어려운) appear only at their levels.
_DIFFICULTY = {
    1: (
        "난이도는 5단계 중 1단계로 방탈출이 처음인 방린이도 쉽게 풀 수 있고",
        "문제가 쉬운 편이라 입문자에게 딱 맞고",
        "난이도 1단계의 쉬운 구성이라 처음 해 보는 분도 부담이 없고",
    ),
    2: (
        "난이도는 5단계 중 2단계로 입문자도 부담 없이 즐길 수 있고",
        "쉬운 문제 위주라 방린이에게 추천하기 좋고",
        "난이도 2단계라 방탈출이 처음인 분도 충분히 탈출할 수 있고",
    ),
    3: (
        "난이도는 5단계 중 3단계로 적당히 머리를 써야 하고",
        "난이도가 중간 정도라 누구나 도전해 볼 만하고",
        "난이도 3단계로 경험자와 초보 모두에게 알맞고",
    ),
    4: (
        "난이도는 5단계 중 4단계로 숙련자에게 어울리고",
        "문제가 꽤 어려운 편이라 고인물에게 잘 맞고",
        "난이도 4단계의 고난도 구성이라 경험 많은 팀에게 권하고",
    ),
    5: (
        "난이도는 5단계 중 가장 높은 5단계로 고인물도 진땀을 흘리고",
        "숙련자를 위한 어려운 문제가 가득하고",
        "난이도 5단계의 고난도 테마라 탈출률이 낮고",
    ),
}
# The second half: fear for horror rooms and for rooms that are not scary at all, else activity.
_FEAR_HORROR = {
    5: (
        "공포도는 최고 단계라 심장이 약한 분께는 권하지 않습니다.",
        "공포도 5단계의 무서운 연출이 쉴 새 없이 이어집니다.",
        "심장이 약하다면 각오가 필요한 공포도 5단계입니다.",
    ),
    4: (
        "공포도 4단계로 심장이 약하다면 마음의 준비가 필요합니다.",
        "무서운 장면이 많아 공포도가 높은 편입니다.",
        "공포도 4단계의 무서운 연출이 곳곳에서 튀어나옵니다.",
    ),
    3: ("공포도는 3단계로 무서운 장면이 간간이 나옵니다.", "공포도 3단계로 적당히 무서운 수준입니다."),
    2: ("공포도는 2단계로 무서운 장면이 많지는 않습니다.", "공포도 2단계라 공포 연출은 가벼운 편입니다."),
}
_FEAR_NONE = (
    "겁이 많은 사람도 안심할 수 있는 안 무서운 구성입니다.",
    "무섭지 않아서 겁이 많은 분도 편하게 즐길 수 있습니다.",
    "깜짝 놀랄 장면이 없는 안 무서운 분위기라 겁 많은 사람도 괜찮습니다.",
    "안 무서운 테마라 겁이 많은 친구와 함께 가기 좋습니다.",
    "무섭지 않은 테마를 찾는 겁 많은 사람에게 알맞습니다.",
)
_THRILL = {
    4: ("쫓기는 듯한 긴장감이 강해 스릴을 즐기는 분께 맞습니다.", "숨 막히는 스릴이 끝까지 이어집니다."),
    3: ("긴장감이 꽤 높아 스릴을 즐기는 분께 추천합니다.", "적당한 스릴이 이야기를 끝까지 끌고 갑니다."),
    2: ("긴장감은 있지만 부담스럽지 않은 수준입니다.", "가벼운 스릴이 곳곳에 있습니다."),
}
_ACTIVITY = {
    5: ("기어가거나 뛰어야 하는 구간이 많아 편한 복장을 추천합니다.", "활동성 5단계로 쉴 새 없이 움직여야 합니다."),
    4: ("움직이는 구간이 많은 편이라 편한 신발을 신고 오세요.", "활동성 4단계로 이리저리 움직일 일이 많습니다."),
    3: ("활동성은 중간 정도라 적당히 움직이며 즐길 수 있습니다.", "움직임과 앉아서 푸는 문제가 고르게 섞여 있습니다."),
    2: (
        "활동성이 낮은 편이라 차분히 문제에 집중할 수 있습니다.",
        "많이 움직이지 않아 편한 차림이 아니어도 괜찮습니다.",
    ),
    1: (
        "활동성이 낮아 앉아서 차분히 푸는 문제가 대부분입니다.",
        "거의 움직이지 않고 책상 앞에서 푸는 문제가 많습니다.",
    ),
}
# Party: couple words only for 로맨스 rooms two can play, group words only for rooms of six or more.
# Each party sentence is an opening about who fits and a closing with one more fact ("…고, …다.").
_PARTY_COUPLE_ONLY = (
    "정원이 딱 2명이라 커플 데이트 코스로 꼭 맞고",
    "둘이서만 입장할 수 있는 커플 전용 테마라 데이트에 제격이고",
    "두 사람만 들어갈 수 있는 커플 데이트 테마이고",
)
_PARTY_COUPLE = (
    "커플이 둘이서 즐기기 좋은 데이트 코스이고",
    "두 명이서 오붓하게 즐기는 커플 데이트에 특히 어울리고",
    "커플 데이트로 인기가 많고",
    "연인과 둘이서 풀기 좋은 커플 테마이고",
)
_PARTY_PAIR = (
    "두 명이서 오붓하게 즐기기 좋고",
    "둘이서 차분히 풀기에도 좋고",
    "단짝 친구와 둘이서 가기에도 좋고",
)
_PARTY_GROUP = (
    "최대 {max}명까지 들어갈 수 있어 회사 동료나 친구들과 단체로 즐기기 좋고",
    "{min}~{max}명이 함께할 수 있는 넓은 공간이라 단체 모임에 추천하고",
    "인원이 많을수록 역할을 나누기 좋아 {max}명 단체로 와도 넉넉하고",
    "{max}명이 들어가도 넉넉한 크기라 회사 단체 방문에 잘 맞고",
    "{min}~{max}인 테마라 동아리나 회사 단체로 가기 좋고",
)
_PARTY_SOLO = ("혼자서도 도전할 수 있고", "1명부터 입장할 수 있어 혼자 가도 괜찮고")
_PARTY = (
    "{min}~{max}명이 플레이할 수 있고",
    "{min}~{max}인 테마이고",
    "적정 인원은 {best}명이고",
    "{min}명부터 {max}명까지 입장할 수 있고",
)
_PARTY_CLOSINGS = (
    "1인 가격은 {price}원입니다.",
    "플레이 시간은 {minutes}분입니다.",
    "{best}명일 때 역할을 나누기 가장 좋습니다.",
    "최대 {max}명까지 함께할 수 있습니다.",
    "{min}~{max}인까지 예약할 수 있습니다.",
    "{minutes}분 동안 1인 {price}원에 즐길 수 있습니다.",
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
    # How good the room is, hidden (about N(0, 1)): demo players enjoy better rooms more, so their
    # reviews make its rating. Never written as the room's rating; see `room_quality`.
    quality: float


@dataclass(frozen=True)
class Catalogue:
    stores: list[StoreSpec]
    rooms: list[RoomSpec]


def room_quality(*, store_name: str, room_name: str) -> float:
    """The hidden quality of a room, from its store and name alone (so any room in the database has one)."""
    digest = hashlib.sha256(f"{SEED}\n{store_name}\n{room_name}".encode()).digest()
    return round(max(-2.5, min(2.5, random.Random(digest).gauss(0.0, 1.0))), 3)


def _clip(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _stores(rng: random.Random, count: int) -> list[StoreSpec]:
    stores = []
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


# '의' used as a particle: at the end of a word ('할머니의 다락방'), not inside one ('의문').
_UI_PARTICLE = re.compile(r"[가-힣]의(?=[\s:,.]|$)")
# Two 의 in a row ('첫사랑의 카페의 고백'): grammatical, but no one writes it.
_UI_CHAIN = re.compile(r"[가-힣]의 [가-힣]+의(?=\s)")


def ui_count(text: str) -> int:
    """How many times `text` uses the particle 의."""
    return len(_UI_PARTICLE.findall(text))


def _repeats_setting(template: str, setting: str) -> bool:
    """Whether the template's own words say a word of the setting again ('보물 동굴에 숨겨진 보물')."""
    text = _SLOT.sub(" ", template)
    return any(word in text for word in setting.split() if len(word) >= 2)


def _name_tails(primary: str, setting: str) -> list[str]:
    """The name tails that suit a setting: no second 의 ('탈옥수의 감옥의 반격') and no word said
    twice ('잃어버린 보물 동굴의 보물')."""
    return [
        tail
        for tail in _NAME_TAILS[primary]
        if ui_count(_render(tail, setting=setting)) <= 1 and not _repeats_setting(tail, setting)
    ]


def _pick(rng: random.Random, templates: tuple[str, ...], **values: object) -> str:
    """One of the templates, filled in; those that would repeat the setting or chain 의 only when
    nothing else is left."""
    setting = str(values["setting"])
    usable = [t for t in templates if "{owner" not in t or values.get("owner")]
    rendered = [_render(t, **values) for t in usable if not _repeats_setting(t, setting)]
    fitting = [text for text in rendered if not _UI_CHAIN.search(text)]
    return rng.choice(fitting or rendered or [_render(t, **values) for t in usable])


def _name(rng: random.Random, primary: str, setting: str, used: set[str]) -> str:
    tails = _name_tails(primary, setting)
    first = rng.choice(tails)
    # On a repeat, the setting's other tails first; a serial number only when all are taken.
    for tail in [first, *(tail for tail in tails if tail != first)]:
        name = _render(tail, setting=setting)
        if name not in used:
            return name
    base = _render(first, setting=setting)
    serial = 2
    while f"{base} {serial}" in used:
        serial += 1
    return f"{base} {serial}"


@dataclass(frozen=True)
class _Facts:
    genres: tuple[str, ...]
    setting: str
    difficulty: int
    fear: int
    activity: int
    min_players: int
    max_players: int
    duration: int
    price: int


def _level_sentence(rng: random.Random, facts: _Facts) -> str:
    first = rng.choice(_DIFFICULTY[facts.difficulty])
    if "공포" in facts.genres:
        second = rng.choice(_FEAR_HORROR[max(2, facts.fear)])
    elif facts.fear <= 1:
        second = rng.choice(_FEAR_NONE)
    elif "스릴러" in facts.genres:
        second = rng.choice(_THRILL[min(4, facts.fear)])
    else:
        second = rng.choice(_ACTIVITY[facts.activity])
    return f"{first}, {second}"


def _party_sentence(rng: random.Random, facts: _Facts) -> str:
    low, high = facts.min_players, facts.max_players
    best = _clip(round((low + high) / 2), low, high)
    if "로맨스" in facts.genres and low <= 2:
        opening = rng.choice(_PARTY_COUPLE_ONLY if high == 2 else _PARTY_COUPLE)
    elif high >= 6:
        opening = rng.choice(_PARTY_GROUP)
    elif "감성" in facts.genres and low <= 2 and high <= 4:
        opening = rng.choice(_PARTY_PAIR)
    elif low == 1 and rng.random() < 0.5:
        opening = rng.choice(_PARTY_SOLO)
    else:
        opening = rng.choice(_PARTY)
    # A closing that says something the opening did not (another number, another word).
    closings = [
        closing
        for closing in _PARTY_CLOSINGS
        if not any(mark in opening and mark in closing for mark in ("{max}", "{best}", "역할", "함께", "입장"))
        and not (high == low and any(mark in closing for mark in ("~", "{max}", "{min}", "{best}")))
    ]
    template = f"{opening}, {rng.choice(closings)}"
    price = f"{facts.price:,}"
    return _render(template, min=low, max=high, best=best, minutes=facts.duration, price=price)


def _description(rng: random.Random, facts: _Facts) -> str:
    """Two to four sentences: the story's hook in its setting, then what the facts call for (the
    level sentence for easy, hard, very scary or not scary rooms; the party sentence for couples
    and groups), then as many of a second genre, the goal, the play and the rest as fit."""
    primary, setting = facts.genres[0], facts.setting
    place = SETTINGS[primary][setting]
    spots, things = rng.sample(place.spots, 2), rng.sample(place.things, 2)
    values = {"setting": setting, "minutes": facts.duration, "owner": OWNERS.get(setting, "")}
    slots: dict[str, str] = {"hook": _pick(rng, _HOOKS[primary], spot=spots[0], thing=things[0], **values)}
    values.update(spot=spots[1], thing=things[1])  # the goal names other spots and things than the hook
    optional = ["goal", "play"]
    if len(facts.genres) > 1 and rng.random() < 0.7:
        optional.append("flavour")
    horror = "공포" in facts.genres
    needs_level = facts.difficulty in (1, 2, 4, 5) or (facts.fear <= 1 and not horror) or (horror and facts.fear >= 4)
    low, high = facts.min_players, facts.max_players
    needs_party = ("로맨스" in facts.genres and low <= 2) or high >= 6
    if needs_level:
        slots["level"] = _level_sentence(rng, facts)
    else:
        optional.append("level")
    if needs_party:
        slots["party"] = _party_sentence(rng, facts)
    else:
        optional.append("party")
    count = max(len(slots), rng.choice((2, 3, 3, 4, 4)))
    rng.shuffle(optional)
    for slot in optional[: max(0, count - len(slots))]:
        if slot == "goal":
            slots[slot] = _pick(rng, _GOALS[primary], **values)
        elif slot == "play":
            slots[slot] = f"{rng.choice(_PLAY_OPENINGS)}, {rng.choice(_PLAY_CLOSINGS)}"
        elif slot == "flavour":
            slots[slot] = _pick(rng, _FLAVOURS[facts.genres[1]], **values)
        elif slot == "level":
            slots[slot] = _level_sentence(rng, facts)
        else:
            slots[slot] = _party_sentence(rng, facts)
    order = ("hook", "flavour", "goal", "play", "level", "party")
    return " ".join(slots[slot] for slot in order if slot in slots)


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
        setting = rng.choice(list(SETTINGS[primary]))
        name = _name(rng, primary, setting, used_names)
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
        facts = _Facts(genres, setting, difficulty, fear, activity, min_players, max_players, duration, price)
        for _ in range(20):  # descriptions differ from room to room: draw again on a repeat
            description = _description(rng, facts)
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
                quality=room_quality(store_name=store.name, room_name=name),
            )
        )
    return Catalogue(stores=stores, rooms=rooms)
