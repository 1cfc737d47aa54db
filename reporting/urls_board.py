"""Reporting urls: board (joined in reporting/urls.py, namespace reporting)."""

from django.urls import path

from . import views_board

urlpatterns: list = [
    path("bestuur/rapportages/", views_board.board_reports, name="board_reports"),
    path("bestuur/rapportages/<uuid:uuid>/voortgang/", views_board.board_report_status, name="board_report_status"),
    path("bestuur/rapportages/<uuid:uuid>/pdf/", views_board.board_report_download, name="board_report_download"),
    path("bestuur/besluitenlijst/", views_board.board_items, name="board_items"),
    path("bestuur/besluitenlijst/<int:pk>/", views_board.board_item_edit, name="board_item_edit"),
]
