from django.urls import path

from ml.apis import PersonalizedApi, TrendsMonthlyApi

urlpatterns = [
    path("personalized/<int:user_id>", PersonalizedApi.as_view(), name="ml-personalized"),
    path("trends/monthly", TrendsMonthlyApi.as_view(), name="ml-trends-monthly"),
]
