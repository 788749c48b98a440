"""Forms of the site's session login pages (the API keeps its own serializers and JWT)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password

from accounts.models import USERNAME_PATTERN, User
from accounts.selectors import user_email_taken, user_username_taken
from rooms.vocabulary import GENRE_CHOICES, REGION_CHOICES


class SignupForm(forms.Form):
    username = forms.RegexField(
        label="아이디",
        regex=USERNAME_PATTERN,
        min_length=3,
        max_length=30,
        help_text="3~30자, 영문·한글·숫자와 @ . + - _ 만 쓸 수 있어요.",
        error_messages={
            "invalid": "아이디는 영문, 한글, 숫자와 @ . + - _ 만 쓸 수 있습니다.",
            "required": "아이디를 입력해 주세요.",
            "min_length": "아이디는 3자 이상이어야 합니다.",
            "max_length": "아이디는 30자 이하여야 합니다.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label="이메일",
        max_length=254,
        error_messages={"required": "이메일을 입력해 주세요.", "invalid": "올바른 이메일 주소를 입력해 주세요."},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="비밀번호",
        max_length=128,
        strip=False,
        help_text="8자 이상, 숫자로만 된 비밀번호나 흔한 비밀번호는 쓸 수 없어요.",
        error_messages={"required": "비밀번호를 입력해 주세요."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label="비밀번호 확인",
        max_length=128,
        strip=False,
        error_messages={"required": "비밀번호를 한 번 더 입력해 주세요."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    # Uniqueness and password strength are checked here too (user_register checks again, and the
    # database decides a race) so that every error shows at once instead of one round trip each.
    def clean_username(self):
        username = self.cleaned_data["username"]
        if user_username_taken(username=username):
            raise forms.ValidationError("이미 사용 중인 아이디입니다.")
        return username

    def clean_email(self):
        email = self.cleaned_data["email"]
        if user_email_taken(email=email):
            raise forms.ValidationError("이미 가입된 이메일입니다.")
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                validate_password(password, user=candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
            if cleaned.get("password_confirm") != password:
                self.add_error("password_confirm", "비밀번호가 서로 다릅니다.")
        return cleaned


class LoginForm(forms.Form):
    username = forms.CharField(
        label="아이디",
        max_length=150,
        error_messages={"required": "아이디를 입력해 주세요."},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}),
    )
    password = forms.CharField(
        label="비밀번호",
        max_length=128,
        strip=False,
        error_messages={"required": "비밀번호를 입력해 주세요."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PreferencesForm(forms.Form):
    favorite_regions = forms.MultipleChoiceField(
        label="선호 지역", choices=REGION_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    favorite_genres = forms.MultipleChoiceField(
        label="선호 장르", choices=GENRE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    usual_party_size = forms.IntegerField(
        label="주로 가는 인원",
        min_value=1,
        max_value=20,
        required=False,
        error_messages={
            "min_value": "인원은 1명 이상이어야 합니다.",
            "max_value": "인원은 20명 이하여야 합니다.",
            "invalid": "숫자를 입력해 주세요.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    disliked_genres = forms.MultipleChoiceField(
        label="싫어하는 장르",
        choices=GENRE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="고른 장르는 나와 내 파티의 추천에서 빠져요.",
    )
    max_fear = forms.TypedChoiceField(
        label="견딜 수 있는 공포도",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "상관없어요"),
            ("0", "0 · 전혀 무섭지 않아야 해요"),
            ("1", "1 · 쫄보예요"),
            ("2", "2 · 살짝 무서운 정도까지"),
            ("3", "3 · 적당히 무서운 것까지"),
            ("4", "4 · 꽤 무서워도 괜찮아요"),
        ],
        help_text="이보다 무서운 테마는 나와 내 파티의 추천에서 빠져요.",
        error_messages={"invalid_choice": "목록에 있는 값을 골라 주세요."},
    )
