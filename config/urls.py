from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import errors, health, views
from core.api import problems
from workspace import views as workspace_views

api_v1 = [
    path("", include("core.api.urls")),
]

urlpatterns = [
    # The public gallery API first: every storefront page view asks it, and each pattern
    # and include tried before it cost the hot path ~30 us of its ~300 (bench/gallery.py).
    path("api/v1/", include("ugc.api.public_urls")),
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # set_language: the workspace's language switcher posts here (a cookie; URLs unchanged).
    path("i18n/", include("django.conf.urls.i18n")),
    # The dashboard (its own namespace) before the rest of the workspace.
    path("workspace/dashboard/", include("workspace.dashboard_urls")),
    path("workspace/", include("workspace.urls")),
    # A creator invited to connect their TikTok account (no workspace login).
    path("creators/", include("workspace.creator_urls")),
    # Photo requests: the buyer's links and unsubscribe page.
    path("", include("outreach.urls")),
    # Renditions, when no web server in front serves MEDIA_URL (SERVE_MEDIA, or DEBUG).
    path("media/<path:path>", workspace_views.media_view, name="media"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include(api_v1)),
    # Any other /api/ path: a problem details 404, also when DEBUG is on.
    re_path(r"^api/", problems.api_not_found),
]


# Error pages without a traceback (problem bodies under /api/) while DEBUG is off.
handler400 = errors.handler400
handler403 = errors.handler403
handler404 = errors.handler404
handler500 = errors.handler500
