from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("2fa/", views.otp_status, name="otp_status"),
    path("2fa/instellen/", views.otp_setup, name="otp_setup"),
    path("2fa/controleren/", views.otp_verify, name="otp_verify"),
    path("2fa/herstelcodes/", views.otp_recovery_codes, name="otp_recovery_codes"),
    path("api-sleutels/", views.api_tokens, name="api_tokens"),
    path("api-sleutels/<uuid:public_id>/intrekken/", views.api_token_revoke_view, name="api_token_revoke"),
]
