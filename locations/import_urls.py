"""Import and export of locations and rooms; included by the lead into the "locations" namespace
under /locaties/, so these answer at /locaties/import/, /locaties/export/ and so on."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("import/", import_views.import_upload, name="import"),
    path("import/uitvoeren/", import_views.import_apply_view, name="import_apply"),
    path("export/", import_views.export, name="export"),
    path("export/sjabloon/", import_views.export_template, name="export_template"),
]
