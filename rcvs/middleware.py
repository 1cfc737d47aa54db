from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class DutchUnlessChosenMiddleware:
    """The interface is Dutch unless the user picks English in the language menu.

    Django's LocaleMiddleware would otherwise follow the browser's Accept-Language, and many
    office machines here run an English browser: staff would get a half-familiar English screen
    with the Dutch terms they use on the phone translated away. The choice is kept in the
    language cookie that /i18n/setlang/ sets."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
