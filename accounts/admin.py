from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "선호",
            {"fields": ("favorite_regions", "favorite_genres", "usual_party_size", "disliked_genres", "max_fear")},
        ),
    )
    list_display = ("username", "email", "is_staff", "usual_party_size", "date_joined")
