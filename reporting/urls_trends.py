"""Reporting urls: trends (joined in reporting/urls.py, namespace reporting)."""

from django.urls import path

from . import views_trends

urlpatterns = [
    path("trends/", views_trends.trends, name="trends"),
]
