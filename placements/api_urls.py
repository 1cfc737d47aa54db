"""URLs of the placements API, mounted at /api/v1/ by rcvs/urls.py."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("placement-requests", api.PlacementRequestViewSet, basename="api-placement-request")
router.register("placements", api.PlacementViewSet, basename="api-placement")
router.register("supra-regional-requests", api.SupraRegionalRequestViewSet, basename="api-supra-regional-request")

urlpatterns = router.urls
