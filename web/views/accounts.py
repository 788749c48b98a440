"""The site's pages for signing up, logging in and out, and the personal page (session auth)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError

from accounts.login_guard import LoginLocked
from accounts.services import InvalidCredentials, user_authenticate, user_register, user_update_preferences
from accounts.throttling import TOO_MANY, auth_rate_allow
from chat.selectors import session_list
from ml.inference import personalized_rooms
from rooms.models import Review
from web.forms.accounts import LoginForm, PreferencesForm, SignupForm

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request: HttpRequest) -> str:
    """Where to go after signing in: the `next` parameter when it stays on this site, else the chat."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("chat-home")


def _throttled(request: HttpRequest) -> int:
    """Seconds to wait when this address has used up the `auth` rate (POSTs only count); 0 when allowed."""
    if request.method != "POST":
        return 0
    allowed, wait = auth_rate_allow(ip=request.META.get("REMOTE_ADDR", ""))
    return 0 if allowed else wait


def _with_retry_after(response: HttpResponse, wait: int) -> HttpResponse:
    response["Retry-After"] = str(wait)
    return response


def _throttled_page(request: HttpRequest, template: str, form, *, next_url: str, wait: int) -> HttpResponse:
    """The form again, as typed, with only the rate message: 429 with Retry-After."""
    form.is_valid()
    form.errors.clear()
    form.add_error(None, TOO_MANY.format(wait=wait))
    return _with_retry_after(render(request, template, {"form": form, "next": next_url}, status=429), wait)


@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignupForm(request.POST or None)
    wait = _throttled(request)
    if wait:
        return _throttled_page(request, "accounts/signup.html", form, next_url=request.GET.get("next", ""), wait=wait)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_register(username=data["username"], email=data["email"], password=data["password"])
        except ValidationError as exc:
            # The service checks uniqueness and password strength; show its messages next to the fields.
            for field, errors in exc.detail.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, str(error))
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, f"{user.username}님, 가입을 환영해요! 원하는 테마를 말로 찾아보세요.")
            return redirect(_next_url(request))
    return render(request, "accounts/signup.html", {"form": form, "next": request.GET.get("next", "")})


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    # A signed-in visitor still gets the form (to switch accounts): redirecting to `next` could loop
    # back here from a page this account may not see.
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    wait = _throttled(request)
    if wait:
        return _throttled_page(request, "accounts/login.html", form, next_url=next_url, wait=wait)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = user_authenticate(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=request.META.get("REMOTE_ADDR", ""),
                request=request,
            )
        except LoginLocked as locked:
            form.add_error(None, f"로그인 시도가 너무 많습니다. {locked.retry_after}초 후에 다시 시도해 주세요.")
            return _with_retry_after(
                render(request, "accounts/login.html", {"form": form, "next": next_url}, status=429), locked.retry_after
            )
        except InvalidCredentials:
            form.add_error(None, "아이디 또는 비밀번호가 올바르지 않습니다.")
            status = 401
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, f"{user.username}님, 다시 만나서 반가워요.")
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "로그아웃했어요.")
    return redirect("chat-home")


@login_required
@require_http_methods(["GET", "POST"])
def me_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {
        "favorite_regions": user.favorite_regions,
        "favorite_genres": user.favorite_genres,
        "usual_party_size": user.usual_party_size,
        "disliked_genres": user.disliked_genres,
        "max_fear": user.max_fear,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            user_update_preferences(user=user, **form.cleaned_data)
            messages.success(request, "취향을 저장했어요. 추천에 바로 반영돼요.")
            return redirect("me")
        status = 400
    context = {"form": form, **me_sections(user=user)}
    return render(request, "accounts/me.html", context, status=status)


def me_sections(*, user) -> dict:
    """My chats, my reviews and rooms picked for me."""
    reviews = Review.objects.filter(user=user).select_related("room", "room__store").order_by("-created_at")[:20]
    return {
        "chat_sessions": session_list(user=user)[:10],
        "reviews": reviews,
        "recommendations": personal_recommendations(user=user),
    }


def personal_recommendations(*, user, limit: int = 6) -> list:
    """Rooms for this user from ml's recommender (its popularity baseline until a model is trained),
    each with the model's short Korean reason."""
    picks, _version = personalized_rooms(user_id=user.id, limit=limit)
    for room, _score, reason in picks:
        room.pick_reason = reason
    return [room for room, _score, _reason in picks]
