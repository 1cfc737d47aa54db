from django.urls import include, path

from . import views

app_name = "locations"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("nieuw/", views.location_create, name="create"),
    path("capaciteit-export/", views.overview_export, name="overview_export"),
    path("", include("locations.import_urls")),
    path("<uuid:uuid>/", views.detail, name="detail"),
    path("<uuid:uuid>/bewerken/", views.location_edit, name="edit"),
    path("<uuid:uuid>/geschiedenis/", views.history, name="history"),
    path("<uuid:uuid>/kamers/nieuw/", views.room_form, name="room_create"),
    path("<uuid:uuid>/kamers/<int:room_id>/bewerken/", views.room_form, name="room_edit"),
    path("<uuid:uuid>/kamers/<int:room_id>/blokkeren/", views.room_block, name="room_block"),
    path("<uuid:uuid>/kamers/<int:room_id>/deblokkeren/", views.room_unblock, name="room_unblock"),
    path("<uuid:uuid>/kamers/<int:room_id>/verwijderen/", views.room_delete, name="room_delete"),
    path("<uuid:uuid>/contactpersonen/nieuw/", views.contact_form, name="contact_create"),
    path("<uuid:uuid>/contactpersonen/<int:contact_id>/bewerken/", views.contact_form, name="contact_edit"),
    path("<uuid:uuid>/contactpersonen/<int:contact_id>/verwijderen/", views.contact_delete,
         name="contact_delete"),
]
