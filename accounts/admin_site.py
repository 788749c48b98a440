"""The admin site, with its login behind the same brute-force guard and `auth` rate as every other login.

Installed as the default admin site by `accounts.admin_config.AccountsAdminConfig` (in INSTALLED_APPS
instead of "django.contrib.admin"), so `admin.site` and every `@admin.register` use it.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from accounts.login_guard import LoginLocked
from accounts.services import InvalidCredentials, user_authenticate
from accounts.throttling import TOO_MANY, auth_rate_allow

LOCKED = "로그인 시도가 너무 많습니다. {wait}초 후에 다시 시도해 주세요."


class GuardedAdminAuthenticationForm(AdminAuthenticationForm):
    retry_after: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            ip = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
            allowed, wait = auth_rate_allow(ip=ip)
            if not allowed:
                self.retry_after = wait
                raise ValidationError(TOO_MANY.format(wait=wait), code="throttled")
            try:
                self.user_cache = user_authenticate(username=username, password=password, ip=ip, request=self.request)
            except LoginLocked as locked:
                self.retry_after = locked.retry_after
                raise ValidationError(LOCKED.format(wait=locked.retry_after), code="locked") from None
            except InvalidCredentials:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)  # staff only
        return self.cleaned_data


class GuardedAdminSite(AdminSite):
    login_form = GuardedAdminAuthenticationForm

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        retry_after = getattr(form, "retry_after", None)
        if retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response
