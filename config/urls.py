from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health, views
from config.api import problems
from ugc import views as ugc_views

api_v1 = [
    path("", include("config.api.urls")),
]

urlpatterns = [
    # The public gallery API first: every storefront page view asks it, and each pattern
    # and include tried before it cost the hot path ~30 us of its ~300 (bench/gallery.py).
    path("api/v1/", include("ugc.api.public_urls")),
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Before the workspace: ugc's URLconf cannot include analytics (ugc never imports it).
    path("workspace/dashboard/", include("analytics.urls")),
    path("workspace/", include("ugc.urls")),
    # Renditions, when no web server in front serves MEDIA_URL (SERVE_MEDIA, or DEBUG).
    path("media/<path:path>", ugc_views.media_view, name="media"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include(api_v1)),
    # Any other /api/ path: a problem details 404, also when DEBUG is on.
    re_path(r"^api/", problems.api_not_found),
]


def handler404(request, exception=None):
    """Problem details under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return problems.api_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return problems.api_server_error(request)
    from django.views.defaults import server_error

    return server_error(request)
