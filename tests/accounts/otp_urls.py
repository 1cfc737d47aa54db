"""Test-only URLs: one page and one API view behind the second factor, as case views will be."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from rcvs.accounts.otp import IsOtpVerified, require_verified
from rcvs.urls import urlpatterns as site_urlpatterns

SECRET = "casusinhoud-alleen-met-tweede-factor"


@require_verified
def case_page(request):
    return HttpResponse(SECRET)


class CaseApi(APIView):
    permission_classes = [IsAuthenticated, IsOtpVerified]

    def get(self, request):
        return Response({"content": SECRET})


urlpatterns = [
    path("test/casus/", case_page, name="test_case_page"),
    path("api/v1/test-casus/", CaseApi.as_view(), name="test_case_api"),
    *site_urlpatterns,
]
