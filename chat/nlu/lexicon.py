"""The offline NLU's words: numbers, difficulty words, fear, activity and change phrases, references, question
cues, request and chat cues (`chat.nlu.local` reads messages with them).

Regular expressions run on the compact text (lower case, no spaces) unless their name says English (whole words on
the lower-case text). A phrase here is matched before the single words inside it ("안 무서운" before "무서운").
"""

from __future__ import annotations

import re

NATIVE_NUMBERS: dict[str, int] = {
    "하나": 1,
    "한": 1,
    "둘": 2,
    "두": 2,
    "셋": 3,
    "세": 3,
    "넷": 4,
    "네": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
    "열": 10,
}
# Said without a counter these still mean a party size ("고인물 넷", "셋이서"); 하나/한/열 need one.
BARE_NUMBERS = {"둘": 2, "셋": 3, "넷": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9}
ENGLISH_NUMBERS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
EN_NUMBER = r"(\d{1,2}|" + "|".join(ENGLISH_NUMBERS) + r")"
KO_NUMBER = r"(\d{1,2}|" + "|".join(sorted(NATIVE_NUMBERS, key=len, reverse=True)) + r")"

DIFFICULTY_WORDS: dict[str, tuple[str, ...]] = {
    "easy": (
        "초보",
        "방린이",
        "방생아",
        "입문",
        "초심자",
        "뉴비",
        "쉬운",
        "쉽게",
        "쉬웠",
        "쉬워",
        "쉽고",
        "쉽지",
        "난이도낮",
        "낮은난이도",
        "처음인데",
        "처음이라",
        "처음해",
        "처음가",
        "첫경험",
        "easy",
        "beginner",
        "beginners",
        "newbie",
        "first time",
        "first timer",
        "first timers",
        "not too hard",
    ),
    "hard": (
        "고인물",
        "숙련자",
        "숙련",
        "고수",
        "고난도",
        "고난이도",
        "어려운",
        "어렵",
        "어려워",
        "하드",
        "난이도높",
        "높은난이도",
        "매니아",
        "마니아",
        "빡센",
        "빡세",
        "빡쎈",
        "빡쌘",
        "개빡",
        "노힌트로깰",
        "노힌트로깨",
        "노힌트가능",
        "노힌트각",
        "hard",
        "difficult",
        "expert",
        "experts",
        "challenging",
        "hardest",
    ),
    "normal": ("중간난이도", "보통난이도", "적당한난이도", "난이도보통", "난이도중간", "무난한", "normal", "medium"),
}
OPPOSITE_DIFFICULTY = {"easy": "hard", "hard": "easy", "normal": None}

NEGATION_AFTER = (
    "말고",
    "말구",
    "빼고",
    "빼줘",
    "빼면",
    "빼주",
    "제외",
    "싫",
    "시러",
    "별로",
    "않",
    "아닌",
    "아니",
    "말아",
    "없는",
    "없이",
    "노노",
    "ㄴㄴ",
    "금지",
    "안돼",
    "안되",
    "못하",
    "못해",
    "못함",
    "패스",
    "극혐",
    "질색",
    "무리",
    "피하",
    "피해",
    "는좀",
)
NEGATION_BEFORE = ("노", "안좀")
ENGLISH_NEGATION_BEFORE = re.compile(
    r"\b(?:no|not|non|without|except|avoid|hate|nothing|never|anything but|but not)\s+(?:too\s+|very\s+|so\s+)?-?$"
)
NEGATION_WINDOW = 7

# --- phrases, taken before single words (compact text; English on the lower-case text) ----------------------
FEAR_PHRASES: tuple[tuple[str, str], ...] = (
    ("low", r"(?:하나도|전혀|별로|진짜|정말|넘|너무|많이|좀)?안무서|무섭지(?:도)?(?:않|안)|안무섭|노공포"),
    (
        "low",
        r"공포도(?:가|는)?(?:낮|적|약|없|[01](?:점|짜리|인|이하|까지|정도)?)|쫄보|쫄쫄이|겁쟁이|겁(?:이)?많|겁먹|쫄아|심장(?:이)?약",
    ),
    ("low", r"(?:무서운|공포|깜놀|놀래키는|점프스케어|귀신)(?:요소|장면|연출)?(?:가|는|이|도)?(?:없|안나오|x)"),
    ("mid", r"(?:조금|좀|살짝|약간|적당히|적당한|어느정도|약하게)무서[운워울움]|으스스|무섭긴(?:한데|하지만|해도)"),
    ("mid", r"너무무서운(?:건|거|것)?(?:은|는)?(?:싫|시러|별로|좀|말고)"),
    (
        "mid",
        r"(?:조금|좀|살짝|약간|적당히|적당한)(?:쫄리|긴장감)|긴장감(?:있는|정도|만)|공포도(?:는|가)?(?:중간|보통|적당|[23](?:점|짜리|정도))",
    ),
    (
        "high",
        r"(?:엄청|완전|개|존나|졸라|매우|진짜|정말|겁나|극강|극도로|제일|가장|최고로|미친듯이|너무|넘|많이|역대급)무서[운울]",
    ),
    ("high", r"극공포|공포도(?:가|는)?(?:높|센|쎈|강|최고|만렙|[45](?:점|짜리|이상|정도))|무서울수록"),
    ("high", r"(?:엄청|완전|개|존나|졸라|매우|진짜|정말|겁나|극강|너무|넘|많이)쫄리"),
)
FEAR_ENGLISH: tuple[tuple[str, str], ...] = (
    ("low", r"\b(?:not|nothing|non|no)[\s-]*(?:too\s+|very\s+|so\s+|that\s+)?scary\b|\bscaredy\b"),
    (
        "low",
        r"\b(?:get|gets|getting)\s+scared\s+easily\b|\bscared?\s+easily\b|\beasily\s+scared\b|\bno\s+jump\s*scares?\b",
    ),
    ("mid", r"\b(?:a\s+)?(?:bit|little|slightly|somewhat|kinda|kind of|mildly|moderately)\s+(?:of\s+a\s+)?scary\b"),
    ("high", r"\b(?:very|really|super|extremely|truly|so)\s+scary\b|\bscariest\b|\bterrifying\b"),
)
ACTIVITY_PHRASES: tuple[tuple[str, str], ...] = (
    ("high", r"활동적|활동량(?:이)?많|활동성(?:이)?(?:높|많|큰|좋)|몸(?:을|으로)?(?:많이)?(?:쓰|써)|몸으로하"),
    ("high", r"뛰어다니|뛰는|움직임(?:이)?많|많이움직이는"),
    ("low", r"앉아서|활동성(?:이)?(?:낮|적)|활동량(?:이)?적|(?:별로|덜|안)움직|정적인|차분하게"),
)
ACTIVITY_ENGLISH: tuple[tuple[str, str], ...] = (
    ("high", r"\bactive\b|\bphysical\b|\brunning around\b|\blots of running\b|\bathletic\b|\bmove around a lot\b"),
    ("low", r"\bsit(?:ting)?(?: down)? and solve\b|\bjust sit\b|\bsitting\b|\bnot physical\b"),
)
ADJUST_PHRASES: tuple[tuple[str, str], ...] = (
    (
        "easier",
        r"(?:좀|조금|약간|훨씬|살짝)?더쉬[운워움울]|더쉽|덜어려[운워]|난이도(?:를|가)?(?:좀|조금|더)+낮|난이도(?:좀)?낮춰",
    ),
    ("harder", r"(?:좀|조금)?더어려[운워]|더어렵|더빡[센세쎈]|더하드|난이도(?:를|가)?(?:좀|조금|더)+높"),
    ("less_scary", r"덜무서|덜무섭|덜공포|공포도(?:를)?(?:좀)?(?:더)?낮춰"),
    ("scarier", r"더무서|더무섭"),
    ("other_region", r"다른지역|다른동네|딴동네|딴지역|지역(?:을|좀)?바꿔|지역(?:을|좀)?바꿀"),
    (
        "any_region",
        r"어디든|아무데나|아무곳이나|아무지역|지역(?:은|는)?(?:상관없|상관x|무관|노상관|아무데|아무곳)|어디라도",
    ),
    ("drop_players", r"(?:인원|사람수|몇명)(?:은|는|수는)?(?:상관없|상관x|무관|아무|안중요|노상관)"),
    ("drop_genres", r"장르(?:는|은)?(?:상관없|무관|아무거나|노상관)"),
    ("drop_difficulty", r"난이도(?:는|은)?(?:상관없|무관|노상관)"),
    ("drop_fear", r"(?:공포도|무서운정도|무서운거|무서운것|무섭든말든)(?:는|도|은)?(?:상관없|무관|괜찮|노상관)"),
    ("drop_activity", r"활동성(?:은|는)?(?:상관없|무관)"),
    ("drop_price", r"(?:가격|예산|돈|금액)(?:은|는|도)?(?:상관없|무관|노상관|신경안)"),
    (
        "drop_when",
        r"(?:시간|날짜|요일|언제|시간대|타임|날)(?:은|는|도|이든|이건)?(?:상관없|상관x|무관|노상관|아무때|아무거나|다괜찮|다돼)"
        r"|아무때나|아무날이나|언제든|언제라도|언제가도|시간무관",
    ),
    (
        "more",
        r"다른(?:거|건|것|테마|방|데|곳|걸)|딴(?:거|건|것|테마|데|걸)|또(?:없|있|뭐|다른)|더(?:없|보여)|(?:이거|그거)말고",
    ),
)
ADJUST_ENGLISH: tuple[tuple[str, str], ...] = (
    ("easier", r"\b(?:easier|simpler|less (?:hard|difficult)|not as hard)\b"),
    ("harder", r"\b(?:harder|tougher|more (?:difficult|challenging))\b"),
    ("less_scary", r"\b(?:less scary|not as scary|less frightening)\b"),
    ("scarier", r"\b(?:scarier|more scary|more frightening)\b"),
    ("other_region", r"\b(?:another|other|different) (?:area|region|place|neighbou?rhood|city)\b|\bsomewhere else\b"),
    ("any_region", r"\banywhere\b|\bany (?:area|region|place|location)\b|\b(?:area|location|region) doesn'?t matter\b"),
    ("drop_players", r"\b(?:any|whatever) (?:number of people|party size)\b"),
    ("drop_genres", r"\b(?:any|whatever) genre\b|\bgenre doesn'?t matter\b"),
    ("drop_difficulty", r"\b(?:any|whatever) difficulty\b|\bdifficulty doesn'?t matter\b"),
    ("drop_price", r"\b(?:any|whatever) price\b|\bprice doesn'?t matter\b|\bno budget\b"),
    (
        "drop_when",
        r"\bany ?time\b|\bwhenever\b|\b(?:any|whatever) (?:day|time|date)\b|\b(?:time|date) doesn'?t matter\b",
    ),
    (
        "drop_fear",
        r"\bscary is (?:ok|okay|fine)\b|\b(?:don'?t|do not) mind (?:scary|scares|horror)\b|\bany fear level\b",
    ),
    ("drop_activity", r"\b(?:any|whatever) activity(?: level)?\b"),
    (
        "more",
        r"\bshow me more\b|\bmore (?:options|rooms|please|choices|ideas)\b|"
        r"\b(?:other|another|any other) (?:options?|rooms?|ones?|choices)\b|\b(?:something|anything|what) else\b",
    ),
)
# Changes of party size: "한 명 더", "두명 빠졌어", "one more person".
DELTA_PLUS = re.compile(KO_NUMBER + r"(?:명|사람|분)?(?:이|가)?(?:더|추가)")
DELTA_MINUS = re.compile(
    KO_NUMBER + r"(?:명|사람|분)?(?:이|가)?(?:빠졌|빠져|빠짐|빠진|줄었|줄어|줄음|못[와오온옴가갈]|안[와오온옴]|취소)"
)
DELTA_ENGLISH = (
    (1, re.compile(r"\b" + EN_NUMBER + r"\s+more\s+(?:person|people|persons|friends?|players?|ppl|guys?)\b")),
    (1, re.compile(r"\bplus\s+" + EN_NUMBER + r"\b")),
    (
        -1,
        re.compile(
            r"\b" + EN_NUMBER + r"\s+(?:person|people|friends?|players?|of us)\s+"
            r"(?:dropped|left|can'?t|cannot|won'?t|isn'?t|aren'?t|is not|are not|cancel)"
        ),
    ),
)
WE_ARE = re.compile(
    r"\b(?:we\s*(?:are|'re|r)|we're|there\s*(?:are|'re)|make it|it'?s)\s+" + EN_NUMBER + r"\b(?!\s*(?:won|krw))"
)
OF_US = re.compile(r"\b" + EN_NUMBER + r"\s+of\s+us\b")
# References to rooms shown before.
ORDINALS = {"첫": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "네": 4, "넷": 4, "다섯": 5}
REFERENCE_ORDINAL = re.compile(r"(첫|두|세|네|다섯)번째|(첫|둘|셋|넷)째")
REFERENCE_NUMBER = re.compile(r"(?<![\d,만천])([1-9])번(?!째|지|호|출구)")
REFERENCE_LAST = re.compile(r"마지막(?:거|꺼|것|테마|방|에있는)")
REFERENCE_IT = re.compile(r"거기|거긴|그거|그게|그것|그방|그테마|그곳|그데|저거|저기|저방|저테마")
EN_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": "last",
}
EN_ORDINAL = "|".join(EN_ORDINALS)
REFERENCE_ENGLISH = re.compile(
    rf"\bthe\s+({EN_ORDINAL})\b(?:\s+(?:one|room|theme))?|\b({EN_ORDINAL})\s+(?:one|room|theme)\b|"
    r"#\s?([1-9])\b|\bnumber\s+([1-9])\b"
)
REFERENCE_IT_ENGLISH = re.compile(r"\b(?:it|that one|that room|this one|this room|that place|there)\b")

# Words that ask about one room's facts, by the fact they ask about.
TOPIC_CUES: dict[str, tuple[str, ...]] = {
    "duration": (
        r"몇분",
        r"몇시간",
        r"분짜리",
        r"플레이시간",
        r"플레이타임",
        r"소요시간",
        r"러닝타임",
        r"얼마나걸",
        r"시간(?:은|이얼마|얼마|이어떻게|[?]|$)",
    ),
    "price": (r"얼마(?!나(?:무서|걸|어려|쉬|오래|기다|움직))", r"가격", r"비싸", r"비싼가", r"요금", r"비용", r"1인당"),
    "difficulty": (
        r"난이도(?:는|가|어때|어떄|몇|[?]|$)",
        r"어려워(?:요)?(?:[?]|$)",
        r"어렵[나냐다지]",
        r"어려운가",
        r"어려운편",
        r"쉬워(?:요)?(?:[?]|$)",
        r"쉽[나냐]",
        r"쉬운가",
        r"쉬운편",
    ),
    "fear": (
        r"무서워(?!서)",
        r"무섭[나냐다]",
        r"무서운가",
        r"무서운지",
        r"무서운편",
        r"무서운요소",
        r"얼마나무서",
        r"공포도(?:는|가|어때|몇|[?]|$)",
        r"공포요소",
        r"쫄보도(?:할만|괜찮|가능|돼|되)",
    ),
    "players": (
        r"몇명",
        r"몇인",
        r"몇사람",
        r"몇분이서",
        r"인원(?:은|이|수|[?]|$)",
        r"혼자(?:도|서도)?(?:돼|되|가능|할수있|괜찮)",
        r"(?:커플|둘이)(?:끼리|로|서)?(?:가도|돼|되|가능)",
    ),
    "location": (
        r"어디야",
        r"어디에",
        r"어디있",
        r"어딨",
        r"어디예",
        r"어디에요",
        r"어디임",
        r"어디(?:[?]|$)",
        r"위치",
        r"주소",
        r"가는길",
        r"어떻게가",
    ),
    # "자리 있어?", "몇 시에 돼?", "타임 남았어?": asking for a free slot is asking about booking.
    "booking": (
        r"예약",
        r"빈자리",
        r"자리(?:가|는|도)?(?:있|남|없|돼|되)",
        r"몇시(?:에|타임|꺼|것|부터|가능)",
        r"타임(?:이)?(?:있|남|없)",
    ),
    "reviews": (
        r"후기",
        r"리뷰",
        r"평점",
        r"평가",
        r"어때",
        r"어떄",
        r"어땠",
        r"재밌",
        r"재미있",
        r"괜찮아(?:요)?[?]",
        r"괜찮나",
        r"할만해",
        r"할만한가",
        r"볼만해",
        r"좋아(?:요)?[?]",
        r"좋나",
    ),
    "activity": (
        r"활동성(?:은|이|어때|[?]|$|높아|높나)",
        r"많이움직",
        r"움직여야",
        r"움직이나",
        r"몸많이써",
        r"몸많이쓰",
        r"활동적이야",
        r"활동적인가",
        r"활동량(?:은|이)",
    ),
}
TOPIC_ENGLISH: dict[str, str] = {
    "duration": r"\bhow long\b|\bduration\b|\bminutes\s*\?",
    "price": r"\bhow much\b|\bprice\b|\bcost\b|\bfee\b",
    "difficulty": r"\bhow hard\b|\bdifficulty\b|\bdifficult\s*\?|\bhard\s*\?|\bgood for beginners\b",
    "fear": r"\bhow scary\b|\bscary\s*\?|\bis (?:it|that|the \w+ one) scary\b|\bscared\s*\?",
    "players": r"\bhow many (?:people|ppl|players|persons|of us)\b|\bhow many can\b|\bcan \d+ (?:people|of us) play\b",
    "location": r"\bwhere(?:'s|\s+is|\s+are|\s+can)\b|\bwhere\s*\?|\baddress\b|\blocation\b",
    "booking": r"\bbook\b|\bbooking\b|\breserv|\b(?:any|open|free)\s+slots?\b|\bslots?\s+(?:open|free|left)\b",
    "reviews": r"\breviews?\b|\brating\b|\bis it good\b|\bany good\b",
    "activity": r"\bhow active\b|\bphysical\s*\?",
}
# Question forms that would otherwise read as a condition ("어려워요?" is no wish for a hard room).
QUESTION_WORDS = re.compile(
    r"무서워(?!서)|무섭[나냐다]|무서운(?:가|지|편|요소)|얼마나무서[운워]|공포도(?=는|가|어때|몇|[?]|$)|공포요소|"
    r"어려워(?:요)?(?=[?]|$)|어렵[나냐다지]|어려운(?:가|편)|쉬워(?:요)?(?=[?]|$)|쉽[나냐]|쉬운(?:가|편)|"
    r"난이도(?=는|가|어때|어떄|몇|[?]|$)|활동성(?=은|이|어때|[?]|$)"
)
QUESTION_WORDS_ENGLISH = re.compile(
    r"\bhow (?:scary|hard|difficult)\b|\bscary\s*\?|\bhard\s*\?|\bdifficult\s*\?|\bis (?:it|that|the \w+ one) scary\b"
)
# Said of anything ("오늘 날씨 어때"): they make an inquiry only with a room name, "테마" or a reference.
WEAK_TOPICS = ("어때", "어떄", "어땠", "괜찮", "재밌", "재미있", "할만", "볼만", "좋아", "좋나")
# Words that are no room name even before a question ("오늘 날씨 어때").
NOT_NAMES = ("오늘", "내일", "날씨", "기분", "요즘", "주말", "너", "나", "우리", "상황", "컨디션", "그럼", "근데")
REC_CUES = (
    "추천",
    "ㅊㅊ",
    "찾아",
    "찾고",
    "찾는",
    "골라",
    "만한",
    "할만",
    "갈만",
    "가볼",
    "해볼",
    "하고싶",
    "가고싶",
    "괜찮은",
    "좋은테마",
    "테마있",
    "곳있",
    "데있",
    "방있",
    "거있",
    "거없",
    "어디가좋",
    "어디좋",
    "뭐있",
    "머있",
    "뭐할",
    "뭐임",
    "어디감",
    "테마보여",
    "보여줘",
    "ㄱㄱ",
    "가능한곳",
    "가능한데",
    "있나요",
    "있어요",
    "있음",
    "있나",
)
# Asking for rooms outright, which a greeting before it does not undo ("안녕하세요 추천받고 싶어요").
STRONG_REC_CUES = ("추천", "ㅊㅊ", "찾아", "골라", "테마보여")
ENGLISH_STRONG_REC = re.compile(r"\b(?:recommend\w*|suggest\w*|looking for)\b")
ENGLISH_REC = re.compile(
    r"\b(?:recommend\w*|suggest\w*|find|looking for|want|room|rooms|escape|best|good|options?|ideas?)\b"
)
GENERAL_CUES = (
    "안녕",
    "날씨",
    "반가",
    "고마",
    "감사",
    "땡큐",
    "ㄱㅅ",
    "ㄳ",
    "이걸로할",
    "여기로할",
    "팁",
    "조언",
    "요령",
    "노하우",
    "뭐야",
    "뭐예요",
    "뭐에요",
    "뭔가요",
    "누구",
    "심심",
    "규칙",
    "준비물",
    "준비해야",
    "주의사항",
    "어떻게해",
    "어떻게하",
    "해야돼",
    "해야되",
    "잘하는법",
    "잘하려면",
    "하는법",
    "쓰는법",
    "방법",
    "힌트",
    "스포",
    "지시",
    "프롬프트",
    "배고",
    "ㅋㅋ",
    "ㅎㅎ",
)
ENGLISH_GENERAL = re.compile(
    r"\b(?:hi|hello|hey|thanks|thank you|thx|ty|tips?|advice|who are you|weather|lol|how are you)\b"
)
# Morphemes that never make a room name on their own ("강남 공포 테마" names no room).
NAME_STOP = {
    "방탈출",
    "방",
    "탈출",
    "테마",
    "추천",
    "것",
    "거",
    "꺼",
    "곳",
    "데",
    "수",
    "하",
    "있",
    "좋",
    "만하",
    "요즘",
    "제일",
    "가장",
    "인기",
    "요",
    "혹시",
    "그",
    "이",
    "저",
    "거기",
    "여기",
    "좀",
    "그럼",
    "그러면",
    "근데",
    "아",
    "어",
    "음",
    "the",
    "room",
    "theme",
    "is",
    "of",
    "a",
    "an",
}
NAME_FILLER_TAGS = {"IC", "MAJ", "SF", "SP", "SS", "SSO", "SSC", "SO", "SW", "SE"}
NAME_TRAILING_TAGS = ("J", "EF", "EC", "EP", "VCP")
NAME_TRAILING_FORMS = ("테마", "방", "의", "거", "꺼", "room", "theme", "the")
ENGLISH_FUNCTION = re.compile(r"(?i)^(?:how|what|where|when|which|who|can|could|do|does|is|are|i|we|it|that)\b")
QUOTED = re.compile(r"[\"'‘’“”「『《]\s*([^\"'‘’“”「」『』《》]{1,60}?)\s*[\"'‘’“”」』》]")
# "how scary is X?", "where is X", "how much is X": the name follows the question in English.
ENGLISH_NAME_AFTER = re.compile(
    r"\b(?:how\s+(?:scary|hard|long|much|difficult|many people can play|many can play)|where|what|tell me about)"
    r"\s+(?:is|are|does|about)?\s*(?:the\s+)?(.+?)\s*(?:room|theme)?\s*(?:take|cost|located)?\s*[?!.]*$"
)
