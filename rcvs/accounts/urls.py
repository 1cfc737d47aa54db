from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("api-sleutels/", views.api_tokens, name="api_tokens"),
    path("api-sleutels/<uuid:public_id>/intrekken/", views.api_token_revoke_view, name="api_token_revoke"),
]
