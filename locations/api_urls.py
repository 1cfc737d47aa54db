"""URLs of the registry API, mounted at /api/v1/ by rcvs/urls.py."""

from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
# No `.json` twins of the routes: the API speaks JSON only, and the viewsets' write methods take no
# `format` argument (PATCH /api/v1/rooms/1.json answered 500). The placements API has none either.
router.include_format_suffixes = False
router.register("regions", api.RegionViewSet, basename="api-region")
router.register("municipalities", api.MunicipalityViewSet, basename="api-municipality")
router.register("locations", api.LocationViewSet, basename="api-location")
router.register("rooms", api.RoomViewSet, basename="api-room")

urlpatterns = router.urls
