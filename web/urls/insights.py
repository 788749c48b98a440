from django.urls import path

from web.views.insights import staff_insights_view

urlpatterns = [
    path("insights/", staff_insights_view, name="staff-insights"),
]
