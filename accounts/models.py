from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower

from rooms.vocabulary import GENRE_CHOICES, REGION_CHOICES

# A username: ASCII letters, digits, Hangul and @ . + - _ (the API's schema states the same pattern; `\Z` is
# the end of the text, written `$` in the schema).
USERNAME_PATTERN = r"^[0-9A-Za-z_.@+\-\u3131-\u318e\uac00-\ud7a3]+\Z"


class User(AbstractUser):
    """Our user from the first migration, with the preferences recommendations start from."""

    email = models.EmailField("이메일")
    favorite_regions = ArrayField(
        models.CharField(max_length=20, choices=REGION_CHOICES), default=list, blank=True, verbose_name="선호 지역"
    )
    favorite_genres = ArrayField(
        models.CharField(max_length=20, choices=GENRE_CHOICES), default=list, blank=True, verbose_name="선호 장르"
    )
    usual_party_size = models.PositiveSmallIntegerField("주로 가는 인원", null=True, blank=True)
    # Stated dislikes: hard limits for the user's and their parties' recommendations, never just a lower score.
    disliked_genres = ArrayField(
        models.CharField(max_length=20, choices=GENRE_CHOICES), default=list, blank=True, verbose_name="싫어하는 장르"
    )
    max_fear = models.PositiveSmallIntegerField(
        "견딜 수 있는 공포도", null=True, blank=True, help_text="0~5. 쫄보라면 1이나 2: 이보다 무서운 테마는 빼요."
    )

    class Meta:
        verbose_name = "사용자"
        verbose_name_plural = "사용자"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(usual_party_size__isnull=True) | models.Q(usual_party_size__range=(1, 20)),
                name="accounts_user_party_size_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_fear__isnull=True) | models.Q(max_fear__lte=5),
                name="accounts_user_max_fear_range",
            ),
        ]
