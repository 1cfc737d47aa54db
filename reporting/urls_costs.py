"""Reporting urls: costs (joined in reporting/urls.py, namespace reporting). Region code and year
in the query string; entries by uuid, periods and documents by id: no personal data."""

from django.urls import path

from . import views_costs as views

urlpatterns: list = [
    path("kosten/", views.costs_overview, name="costs"),
    path("kosten/begroting/", views.costs_budget, name="costs_budget"),
    path("kosten/posten/", views.costs_entries, name="costs_entries"),
    path("kosten/posten/nieuw/", views.costs_entry_add, name="costs_entry_add"),
    path("kosten/posten/<uuid:uuid>/", views.costs_entry_edit, name="costs_entry_edit"),
    path("kosten/posten/<uuid:uuid>/verwijderen/", views.costs_entry_delete, name="costs_entry_delete"),
    path("kosten/posten/<uuid:uuid>/bijlage/", views.costs_attachment, name="costs_attachment"),
    path("kosten/periodes/", views.costs_periods, name="costs_periods"),
    path("kosten/periodes/<int:pk>/", views.costs_period, name="costs_period"),
    path("kosten/periodes/<int:pk>/wijzigen/", views.costs_period_edit, name="costs_period_edit"),
    path("kosten/periodes/<int:pk>/status/", views.costs_period_transition, name="costs_period_transition"),
    path("kosten/periodes/<int:pk>/documenten/", views.costs_period_build, name="costs_period_build"),
    path("kosten/documenten/<int:pk>/", views.costs_document, name="costs_document"),
]
