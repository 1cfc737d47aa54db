"""Reporting urls: targets (joined in reporting/urls.py, namespace reporting). The region and year
go in the query string (region code and year only: no personal data)."""

from django.urls import path

from . import views_targets as views

urlpatterns: list = [
    path("taakstelling/", views.targets, name="targets"),
    path("taakstelling/verdeling/", views.targets_split, name="targets_split"),
    path("taakstelling/verdeling/standaard/", views.targets_split_reset, name="targets_split_reset"),
    path("normbedrag/", views.rates, name="rates"),
    path("vergoeding/", views.compensation, name="compensation"),
]
