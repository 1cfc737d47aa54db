"""Reporting urls: trends (joined in reporting/urls.py, namespace reporting)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
