from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from rcvs.accounts import views as accounts_views

from . import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="locations:overview", permanent=False), name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Django's login followed by the second factor for users who have one (rcvs.accounts.otp).
    path("accounts/login/", accounts_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/wachtwoord/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/wachtwoord/gewijzigd/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("accounts/", include("rcvs.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("locaties/", include("locations.urls")),
    path("plaatsingen/", include("placements.urls")),
    path("casussen/", include("casework.urls")),
    path("rapportage/", include("reporting.urls")),
    path("api/v1/", include("rcvs.accounts.api_urls")),
    path("api/v1/", include("locations.api_urls")),
    path("api/v1/", include("placements.api_urls")),
    path("api/v1/", include("casework.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

admin.site.site_header = _("RCVS beheer")
admin.site.site_title = "RCVS"
handler404 = "rcvs.api.not_found"  # JSON under /api/, the HTML page elsewhere
