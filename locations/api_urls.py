"""URLs of the registry API, mounted at /api/v1/ by rcvs/urls.py."""

from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("regions", api.RegionViewSet, basename="api-region")
router.register("municipalities", api.MunicipalityViewSet, basename="api-municipality")
router.register("locations", api.LocationViewSet, basename="api-location")
router.register("rooms", api.RoomViewSet, basename="api-room")

urlpatterns = router.urls
