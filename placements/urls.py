from django.urls import path

from . import views

app_name = "placements"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("nieuw/", views.request_new, name="request_new"),
    path("nieuw/kandidaten/", views.preview, name="preview"),
    path("verzoek/<uuid:uuid>/", views.request_detail, name="request_detail"),
    path("verzoek/<uuid:uuid>/oppakken/", views.request_take, name="request_take"),
    path("verzoek/<uuid:uuid>/annuleren/", views.request_cancel, name="request_cancel"),
    path("verzoek/<uuid:uuid>/plaatsen/", views.request_place, name="request_place"),
    path("verzoek/<uuid:uuid>/doorzetten/", views.request_forward, name="request_forward"),
    path("plaatsing/<uuid:uuid>/", views.placement_detail, name="placement_detail"),
    path("plaatsing/<uuid:uuid>/bevestigen/", views.placement_confirm, name="placement_confirm"),
    path("plaatsing/<uuid:uuid>/aangekomen/", views.placement_arrive, name="placement_arrive"),
    path("plaatsing/<uuid:uuid>/vertrokken/", views.placement_depart, name="placement_depart"),
    path("plaatsing/<uuid:uuid>/vrijgeven/", views.placement_release, name="placement_release"),
    path("plaatsing/<uuid:uuid>/overplaatsen/", views.placement_transfer, name="placement_transfer"),
    path("plaatsing/<uuid:uuid>/ruilen/", views.placement_swap, name="placement_swap"),
    path("locatie/<uuid:uuid>/bewoners/", views.residents, name="residents"),
    path("bovenregionaal/", views.supra_list, name="supra_list"),
    path("bovenregionaal/<uuid:uuid>/", views.supra_detail, name="supra_detail"),
    path("zoeken/", views.search, name="search"),
]
