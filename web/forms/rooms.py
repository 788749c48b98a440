"""Forms of the room pages: the browse filters and the review form."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from rooms.vocabulary import GENRE_CHOICES, REGION_CHOICES

# Difficulty as people say it, mapped to the search's range.
DIFFICULTY_RANGES = {"easy": (1, 2), "normal": (3, 3), "hard": (4, 5)}
DIFFICULTY_CHOICES = [("", "전체"), ("easy", "쉬움 (1-2)"), ("normal", "보통 (3)"), ("hard", "어려움 (4-5)")]
PRICE_CHOICES = [("", "전체"), ("20000", "2만원 이하"), ("25000", "2만 5천원 이하"), ("30000", "3만원 이하")]


class RoomFilterForm(forms.Form):
    q = forms.CharField(
        label="검색어",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "예: 감성 추리, 폐병원"}),
        error_messages={"max_length": "검색어는 100자 이하로 입력해 주세요."},
    )
    region = forms.ChoiceField(label="지역", required=False, choices=[("", "전체"), *REGION_CHOICES])
    genre = forms.ChoiceField(label="장르", required=False, choices=[("", "전체"), *GENRE_CHOICES])
    players = forms.IntegerField(
        label="인원",
        required=False,
        min_value=1,
        max_value=20,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "명"}),
        error_messages={
            "min_value": "인원은 1명 이상이어야 합니다.",
            "max_value": "인원은 20명 이하여야 합니다.",
            "invalid": "인원은 숫자로 입력해 주세요.",
        },
    )
    difficulty = forms.ChoiceField(label="난이도", required=False, choices=DIFFICULTY_CHOICES)
    max_price = forms.TypedChoiceField(
        label="1인 가격", required=False, choices=PRICE_CHOICES, coerce=int, empty_value=None
    )
    # A time window (same rules as the API's available_from/available_to): only rooms with an open slot in it,
    # and each card shows up to three of those slots.
    available_from = forms.CharField(
        label="예약 가능 시각부터",
        required=False,
        max_length=40,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    available_to = forms.CharField(
        label="까지",
        required=False,
        max_length=40,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=20, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("region", "genre", "difficulty", "max_price"):
            self.fields[name].error_messages["invalid_choice"] = "목록에 있는 값을 골라 주세요."

    def clean(self):
        from rooms.services import SlotWindowError, slot_window_parse

        data = super().clean()
        try:
            data["window"] = slot_window_parse(data.get("available_from"), data.get("available_to"))
        except SlotWindowError as exc:
            for field, messages in exc.detail.items():
                self.add_error(field, [str(message) for message in messages])
        return data

    def search_filters(self):
        from rooms.selectors.search import RoomSearchFilters

        data = self.cleaned_data
        low, high = DIFFICULTY_RANGES.get(data.get("difficulty") or "", (None, None))
        return RoomSearchFilters(
            region=data.get("region") or None,
            genres=(data["genre"],) if data.get("genre") else (),
            players=data.get("players"),
            difficulty_min=low,
            difficulty_max=high,
            max_price=data.get("max_price"),
            available_from=data.get("window", (None, None))[0],
            available_to=data.get("window", (None, None))[1],
        )


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="별점",
        choices=[(str(value), f"{value}점") for value in range(1, 6)],
        coerce=int,
        error_messages={"required": "별점을 골라 주세요.", "invalid_choice": "별점은 1~5점 중에서 골라 주세요."},
    )
    text = forms.CharField(
        label="후기",
        max_length=2000,
        required=False,
        help_text="퍼즐 정답이나 결말 같은 스포일러는 빼고 적어 주세요.",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "분위기, 인테리어, 연출은 어땠나요?"}),
        error_messages={"max_length": "후기는 2,000자 이하로 적어 주세요."},
    )
    hints_used = forms.IntegerField(
        label="사용한 힌트",
        min_value=0,
        max_value=50,
        initial=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "min_value": "힌트 수는 0 이상이어야 합니다.",
            "max_value": "힌트 수는 50 이하여야 합니다.",
            "invalid": "힌트 수는 숫자로 입력해 주세요.",
        },
    )
    played_on = forms.DateField(
        label="플레이한 날",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "날짜를 YYYY-MM-DD 형식으로 입력해 주세요."},
    )
    escaped = forms.BooleanField(label="탈출에 성공했어요", required=False)

    def clean_played_on(self) -> datetime.date | None:
        played_on = self.cleaned_data.get("played_on")
        if played_on and played_on > timezone.localdate():
            raise forms.ValidationError("플레이한 날은 오늘 이후일 수 없습니다.")
        return played_on

    def clean_hints_used(self) -> int:
        return self.cleaned_data.get("hints_used") or 0
