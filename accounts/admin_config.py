"""django.contrib.admin with our admin site (a module of its own: INSTALLED_APPS loads it before any model)."""

from django.contrib.admin.apps import AdminConfig


class AccountsAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.GuardedAdminSite"
