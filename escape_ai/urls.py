from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from analytics.apis import metrics_view
from chat.apis import SessionQualityApi
from chat.booking_apis import BookingClickApi
from escape_ai.views import healthz
from ml.party_apis import PartyRecommendationsApi

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split view: its script is a file of its own, not inline (the CSP allows no inline script).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("auth/", include("accounts.urls")),
    path("", include("plays.urls")),
    path("chat/", include("chat.urls")),
    path("analytics/", include("analytics.urls")),
    path("analytics/", include("ml.urls")),
    path(
        "analytics/session-quality/<int:user_id>/<int:session_id>",
        SessionQualityApi.as_view(),
        name="ml-session-quality",
    ),
    path("parties/<int:party_id>/recommendations", PartyRecommendationsApi.as_view(), name="parties-recommendations"),
    path("metrics", metrics_view, name="prometheus-django-metrics"),
    # The web pages (session login): chat at /, /signup/ /login/ /logout/ /me/, /staff/insights/, and
    # /rooms/ + /rooms/<id>/, which share their paths with the rooms API: web.urls.rooms serves browsers
    # the page and hands every other client (JSON, JWT) to the API view; rooms.urls keeps the rest.
    path("", include("web.urls.accounts")),
    path("", include("web.urls.chat")),
    path("", include("web.urls.plays")),
    path("rooms/<int:room_id>/booking-clicks", BookingClickApi.as_view(), name="rooms-booking-clicks"),
    path("rooms/", include("web.urls.rooms")),
    path("rooms/", include("rooms.urls")),
    path("staff/", include("web.urls.insights")),
]

# Unknown URLs and crashes answer browsers with the site's pages, API clients with the API's error shape.
handler404 = "escape_ai.views.page_not_found"
handler500 = "escape_ai.views.server_error"
