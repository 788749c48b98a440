from django.urls import path

from analytics.views import staff_insights_view

urlpatterns = [
    path("insights/", staff_insights_view, name="staff-insights"),
]
