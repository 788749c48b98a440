from django.urls import path

from analytics.apis import InsightsApi

urlpatterns = [
    path("insights", InsightsApi.as_view(), name="analytics-insights"),
]
