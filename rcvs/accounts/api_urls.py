"""Account endpoints of the API, mounted at /api/v1/ by rcvs/urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    # Integrations exchange a username and password for an API key once, then send
    # "Authorization: Token <key>" with every request until it expires.
    path("auth/token/", api.ObtainTokenView.as_view(), name="api-token"),
]
