from django.urls import path

from ml.apis import PersonalizedApi, SessionQualityApi, TrendsMonthlyApi

urlpatterns = [
    path("personalized/<int:user_id>", PersonalizedApi.as_view(), name="ml-personalized"),
    path("trends/monthly", TrendsMonthlyApi.as_view(), name="ml-trends-monthly"),
    path("session-quality/<int:user_id>/<int:session_id>", SessionQualityApi.as_view(), name="ml-session-quality"),
]
