from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from analytics.apis import metrics_view
from escape_ai.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("auth/", include("accounts.urls")),
    path("chat/", include("chat.urls")),
    path("analytics/", include("analytics.urls")),
    path("analytics/", include("ml.urls")),
    path("metrics", metrics_view, name="prometheus-django-metrics"),
    # The web pages (session login): chat at /, /signup/ /login/ /logout/ /me/, /staff/insights/, and
    # /rooms/ + /rooms/<id>/, which share their paths with the rooms API: rooms.urls_web serves browsers
    # the page and hands every other client (JSON, JWT) to the API view; rooms.urls keeps the rest.
    path("", include("accounts.urls_web")),
    path("", include("chat.urls_web")),
    path("rooms/", include("rooms.urls_web")),
    path("rooms/", include("rooms.urls")),
    path("staff/", include("analytics.urls_web")),
]
