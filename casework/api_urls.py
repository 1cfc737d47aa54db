"""URLs of the case API, mounted at /api/v1/ by rcvs/urls.py."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="api-case")

urlpatterns = router.urls
