"""Forms of the 내 기록 and 파티 pages (the API keeps its own serializers; both call the same services)."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from plays.importing import MAX_CSV_CHARS
from plays.models import HINTS_MAX, MINUTES_MAX, NOTE_MAX_LENGTH, PARTY_NAME_MAX_LENGTH
from rooms.vocabulary import GENRE_CHOICES, REGION_CHOICES

CSV_UPLOAD_MAX_BYTES = 4 * MAX_CSV_CHARS  # UTF-8 Hangul is three bytes a character


def _number(label: str, low: int, high: int, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "min_value": f"{label}은(는) {low} 이상이어야 합니다.",
            "max_value": f"{label}은(는) {high} 이하여야 합니다.",
            "invalid": f"{label}은(는) 숫자로 입력해 주세요.",
        },
        **kwargs,
    )


class PlayForm(forms.Form):
    """플레이했어요: a room's page logs (or updates) the play with these."""

    # Labels of their own: a room's page has the review form's 플레이한 날 / 사용한 힌트 / 탈출에 성공했어요 too.
    played_on = forms.DateField(
        label="플레이 날짜",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "플레이한 날을 입력해 주세요.",
            "invalid": "날짜를 YYYY-MM-DD 형식으로 입력해 주세요.",
        },
    )
    escaped = forms.BooleanField(label="탈출 성공", required=False)
    hints_used = _number("힌트 수", 0, HINTS_MAX, initial=0)
    minutes_left = _number("남은 시간(분)", 0, MINUTES_MAX)
    players = _number("함께한 인원", 1, 20)
    note = forms.CharField(
        label="메모",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "누구랑, 어땠는지 (스포일러 없이)"}),
        error_messages={"max_length": f"메모는 {NOTE_MAX_LENGTH}자 이하로 적어 주세요."},
    )

    def __init__(self, *args, **kwargs):
        # A room's page has the review form too: its own ids keep every label pointing at its own field.
        kwargs.setdefault("auto_id", "play_%s")
        super().__init__(*args, **kwargs)

    def clean_played_on(self) -> datetime.date:
        played_on = self.cleaned_data["played_on"]
        if played_on > timezone.localdate():
            raise forms.ValidationError("플레이한 날은 오늘 이후일 수 없습니다.")
        return played_on

    def clean_hints_used(self) -> int:
        return self.cleaned_data.get("hints_used") or 0

    def play_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("played_on", "escaped", "hints_used", "minutes_left", "players", "note")}


class PlayFilterForm(forms.Form):
    region = forms.ChoiceField(label="지역", required=False, choices=[("", "전체"), *REGION_CHOICES])
    genre = forms.ChoiceField(label="장르", required=False, choices=[("", "전체"), *GENRE_CHOICES])
    year = forms.TypedChoiceField(label="연도", required=False, coerce=int, empty_value=None, choices=[("", "전체")])

    def __init__(self, *args, years: list[int] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "전체"), *((str(year), f"{year}년") for year in years)]
        for name in ("region", "genre", "year"):
            self.fields[name].error_messages["invalid_choice"] = "목록에 있는 값을 골라 주세요."


class PlayImportForm(forms.Form):
    file = forms.FileField(
        label="CSV 파일",
        required=False,
        help_text="한 줄에 '테마 이름, 업체 이름, 날짜(YYYY-MM-DD), 탈출 여부(성공/실패), 힌트 수'. "
        "첫 줄은 머리글이어도 돼요.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
    text = forms.CharField(
        label="또는 붙여 넣기",
        required=False,
        max_length=MAX_CSV_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "폐병원 403호, 비밀의방 강남점, 2025-03-01, 성공, 2"}),
        error_messages={"max_length": f"CSV는 {MAX_CSV_CHARS:,}자 이하로 나눠서 올려 주세요."},
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            if upload.size > CSV_UPLOAD_MAX_BYTES:
                raise forms.ValidationError("파일이 너무 커요. 나눠서 올려 주세요.")
            raw = upload.read()
            for encoding in ("utf-8-sig", "cp949"):  # Excel in Korea saves CSV as CP949 by default
                try:
                    cleaned["csv"] = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise forms.ValidationError("파일을 읽을 수 없어요. UTF-8이나 CP949로 저장한 CSV를 올려 주세요.")
        elif (cleaned.get("text") or "").strip():
            cleaned["csv"] = cleaned["text"]
        else:
            raise forms.ValidationError("CSV 파일을 고르거나 내용을 붙여 넣어 주세요.")
        return cleaned


class PartyCreateForm(forms.Form):
    name = forms.CharField(
        label="파티 이름",
        max_length=PARTY_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "예: 목요일 방탈출팟"}),
        error_messages={
            "required": "파티 이름을 입력해 주세요.",
            "max_length": f"파티 이름은 {PARTY_NAME_MAX_LENGTH}자 이하로 입력해 주세요.",
        },
    )


class PartyJoinForm(forms.Form):
    invite_code = forms.CharField(
        label="초대 코드",
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "예: K7M2QX9P", "autocapitalize": "characters"}),
        error_messages={"required": "초대 코드를 입력해 주세요.", "max_length": "초대 코드가 너무 깁니다."},
    )


class PartyRecommendationForm(forms.Form):
    region = forms.ChoiceField(label="지역", required=False, choices=[("", "전체"), *REGION_CHOICES])
    genre = forms.ChoiceField(label="장르", required=False, choices=[("", "전체"), *GENRE_CHOICES])
    difficulty = forms.ChoiceField(
        label="난이도",
        required=False,
        choices=[("", "전체"), ("easy", "쉬움"), ("normal", "보통"), ("hard", "어려움")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("region", "genre", "difficulty"):
            self.fields[name].error_messages["invalid_choice"] = "목록에 있는 값을 골라 주세요."
