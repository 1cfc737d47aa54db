"""Reporting urls: kcio (joined in reporting/urls.py, namespace reporting). Ids and region codes
only in the paths."""

from django.urls import path

from . import views_kcio

urlpatterns: list = [
    path("kcio/", views_kcio.kcio_history, name="kcio_history"),
    path("kcio/<int:snapshot_id>/download/<str:fmt>/", views_kcio.kcio_download, name="kcio_download"),
    path("kcio/<int:snapshot_id>/verschillen/", views_kcio.kcio_diff, name="kcio_diff"),
    path("kcio/<int:snapshot_id>/opnieuw-versturen/", views_kcio.kcio_resend, name="kcio_resend"),
    path("kcio/<slug:region_code>/nu-exporteren/", views_kcio.kcio_export_now, name="kcio_export_now"),
]
