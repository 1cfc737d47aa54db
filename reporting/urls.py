"""Reporting pages under /rapportage/ (namespace `reporting`). Each capability keeps its own
url module; they are joined here."""

from django.urls import path

from . import views
from .urls_board import urlpatterns as board
from .urls_costs import urlpatterns as costs
from .urls_kcio import urlpatterns as kcio
from .urls_mail import urlpatterns as mail
from .urls_targets import urlpatterns as targets
from .urls_trends import urlpatterns as trends

app_name = "reporting"

urlpatterns = [
    path("", views.index, name="index"),
    *kcio, *mail, *trends, *targets, *costs, *board,
]
