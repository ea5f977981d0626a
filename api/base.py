"""The API base views: the town scope for /api/v1/towns/<town_slug>/… and the access label of every API view."""

import functools
import hashlib
from contextlib import contextmanager

from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import generics
from rest_framework.exceptions import (
    APIException,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Throttled,
    ValidationError,
)
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts import permissions
from accounts.decorators import CITIZEN, PUBLIC, STAFF, audit_moderator_visit
from municipalities import freshness
from municipalities.middleware import resolve_town
from municipalities.scoping import town_scope
from smartcity5 import page_cache
from smartcity5.headers import never_stored
from smartcity5.numbers import PlainNumber
from smartcity5.pagination import COUNT_CAP, CountedPaginator
from smartcity5.ratelimit import RateLimited

NON_FIELD = "non_field_errors"


def field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ``ValidationError`` (from a service or a model) as the API's 400 body: field → messages."""
    if hasattr(error, "error_dict"):
        return {
            NON_FIELD if field == "__all__" else field: messages
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: error.messages}


def form_errors(form) -> dict[str, list[str]]:
    return {
        NON_FIELD if field == "__all__" else field: [error["message"] for error in errors]
        for field, errors in form.errors.get_json_data().items()
    }


def json_object(request) -> dict:
    """The request body as a form's data: a JSON object; numbers are passed as text, as a browser sends them,
    marked as machine notation so that the number fields read ``12.5`` as twelve and a half
    (``smartcity5.numbers``)."""
    if not isinstance(request.data, dict):
        raise ValidationError({NON_FIELD: [_("Send a JSON object.")]})
    return {
        key: PlainNumber(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        for key, value in request.data.items()
    }


def form_input(request) -> tuple:
    """The request body as a form's data and files: a JSON object (no files), or ``multipart/form-data`` where
    a view accepts it (``parser_classes``), with its files."""
    if request.content_type.startswith("multipart/form-data"):
        return request.POST, request.FILES
    return json_object(request), None


def valid_form(form):
    """The HTML form validates API input too (one place for each rule); invalid input is a 400."""
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    return form


@contextmanager
def service_errors():
    """Turn what a service refuses into the API's answers: 400 with field errors, 403 with the reason when the
    caller may not do it (the service's ``PermissionDenied``), 429 with Retry-After."""
    try:
        yield
    except DjangoValidationError as error:
        raise ValidationError(field_errors(error)) from None
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from None
    except RateLimited as error:
        raise Throttled(wait=error.retry_after, detail=str(error)) from None


def refuse(access: str, *, mfa_message: str) -> None:
    """Raise the API's answer to an ``accounts.permissions`` access result (``town_access``, ``agentur_access``)
    that is not ALLOWED: 401, 403 with the reason, or 404 where the caller must not learn what is there."""
    if access == permissions.SIGN_IN:
        raise NotAuthenticated
    if access == permissions.CONFIRM_EMAIL:
        raise PermissionDenied(_("Please confirm your e-mail address first; then you can take part."))
    if access == permissions.DENIED:
        raise PermissionDenied(_("Your role does not allow this."))
    if access == permissions.HIDDEN:
        raise NotFound
    if access == permissions.NEEDS_MFA:
        raise PermissionDenied(mfa_message)


def _signed_in(request) -> bool:
    """Whether a session or a token identified the caller; False when the answer is an error raised before
    authentication and the credentials turn out to be wrong (asking again must not raise from the answer)."""
    try:
        return request.user.is_authenticated
    except APIException:
        return False


class TownRulePermission(BasePermission):
    """The view's rule of :mod:`accounts.permissions` for the method, answered like ``town_permission_required``
    answers it on HTML pages (``permissions.town_access``): 401, 403 for the town's own staff, 404 for others."""

    def has_permission(self, request, view) -> bool:
        rule = view.rule_for(request.method)
        if rule is None:
            return True
        municipality = view.municipality
        if municipality is None:
            raise NotFound(_("There is no town at this address."))
        refuse(
            permissions.town_access(request.user, rule, municipality),
            mfa_message=_(
                "Please set up two-factor authentication first; the API's protected parts are only available with a "
                "second factor."
            ),
        )
        if permissions.is_cross_town_read(request.user, municipality):
            audit_moderator_visit(request, municipality)
        return True


class LabelledAPIView(generics.GenericAPIView):
    """Carries ``access`` onto the URL callback, as ``accounts.decorators`` do, for the tenant matrix test.

    ``rules`` names the rule of :mod:`accounts.permissions` per HTTP method (``None``: public); the access
    label is the strictest of them."""

    rules: dict[str, str | None] = {}

    @classmethod
    def access_label(cls) -> str:
        rules = [rule for rule in cls.rules.values() if rule]
        if any(rule in permissions.PRIVILEGED_RULES for rule in rules):
            return STAFF
        return CITIZEN if rules else getattr(cls, "access", PUBLIC)

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        view.access = cls.access_label()
        view.rules = cls.rules
        return view

    # Public lists answer conditional GETs: an ETag of the answer's content (it differs for people who see more),
    # and Last-Modified where ``last_modified()`` knows the newest change of the rows the answer can hold.
    conditional = False

    def last_modified(self):
        return None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(self, "_anonymous_cache_key", None)
        if key is not None and response.status_code == 200 and not _signed_in(request):
            response.render()
            cache.set(
                key,
                {"body": response.content, "content_type": response["Content-Type"]},
                page_cache.seconds(),
            )
        # Every answer may depend on who asks (401/403/404, more rows for staff): caches key on both headers.
        patch_vary_headers(response, ("Cookie", "Authorization"))
        signed_in = _signed_in(request)
        if signed_in:
            # Session or token: personal or internal data is never stored (SecurityHeadersMiddleware does the same
            # for every page; said here too so that the API's answers are right on their own).
            never_stored(response)
        if not (self.conditional and request.method in ("GET", "HEAD") and response.status_code == 200):
            return response
        if hasattr(response, "render"):  # (an answer from the anonymous cache is rendered already)
            response.render()
        etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
        response["ETag"] = etag
        changed = self.last_modified()
        if changed is not None:
            response["Last-Modified"] = http_date(int(changed.timestamp()))
        if not signed_in:  # public rows, alike for every anonymous caller
            patch_cache_control(response, public=True, max_age=60)
        return get_conditional_response(
            request._request,
            etag=etag,
            response=response,
            last_modified=(int(changed.timestamp()) if changed is not None else None),
        )

    def get_queryset(self):
        """Only for the schema generator (django-filter's parameters need the model); views query through
        the apps' selectors."""
        filterset = getattr(self, "filterset_class", None)
        if getattr(self, "swagger_fake_view", False) and filterset is not None:
            return filterset._meta.model._base_manager.none()
        raise NotImplementedError("API views read through selectors")

    def rule_for(self, method: str) -> str | None:
        return self.rules.get(method.lower(), self.rules.get("*"))

    def paginated(self, qs, *, count: int | None = None, cap: bool = False) -> Response:
        """One page of ``qs``; ``count``: the stored number of its rows (e.g. from
        ``participation.selectors.ideas.stored_total``), so that the page does not ``COUNT(*)`` them; else with ``cap``
        they are counted up to ``COUNT_CAP`` (a filtered list; ``count_capped`` in the answer says more exist)."""
        if count is not None:
            self.paginator.django_paginator_class = functools.partial(CountedPaginator, count=count)  # type: ignore[union-attr]  # PageNumberPagination
        elif cap:
            self.paginator.django_paginator_class = functools.partial(CountedPaginator, cap=COUNT_CAP)  # type: ignore[union-attr]
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def unfiltered(self, request) -> bool:
        """True when the request asks for no filter, only a page or the sort: a stored count then applies."""
        return not any(value for name, value in request.query_params.items() if name not in ("page", "sort"))

    def one(self, obj) -> Response:
        return Response(self.get_serializer(obj).data)


class TownScopedAPIView(LabelledAPIView):
    """Resolves the town like ``MunicipalityScopeMiddleware`` (active town or 404) and runs the whole request —
    permission checks, queries, serialisation and rendering — inside ``town_scope(town)``."""

    permission_classes = [TownRulePermission]

    def dispatch(self, request, *args, **kwargs):
        municipality = resolve_town(kwargs.get("town_slug", ""))
        request.municipality = municipality
        if municipality is None:
            # DRF turns the NotFound into its JSON error inside dispatch (see initial()).
            return super().dispatch(request, *args, **kwargs)
        with town_scope(municipality):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    #: Whether anonymous JSON answers of GET come from the anonymous page cache (smartcity5/page_cache.py), keyed
    #: like the town's pages on ``municipalities.freshness.town_page_version``: only views whose answer is the
    #: same for every anonymous caller and depends on nothing but the town's processes, ideas and projects.
    anonymous_cache = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(request._request, "municipality", None) is None:
            raise NotFound(_("There is no town at this address."))
        request.municipality = request._request.municipality
        if self.anonymous_cache:
            self._anonymous_cache_lookup(request)

    def _anonymous_cache_lookup(self, request) -> None:
        """After authentication, permissions and throttles (so a cached answer counts against the limits like a
        built one): an anonymous GET for JSON is answered from the cache when it holds the answer for the town's
        current version, or its answer is stored (``finalize_response``)."""
        if (
            request.method != "GET"
            or page_cache.seconds() <= 0
            or _signed_in(request)
            or getattr(request, "accepted_renderer", None) is None
            or request.accepted_renderer.format != "json"
        ):
            return
        django_request = request._request
        version = freshness.town_page_version(django_request)
        path = hashlib.sha256(
            f"{django_request.get_full_path()}|{request.accepted_media_type}".encode()
        ).hexdigest()
        key = (
            f"api:{django_request.municipality.pk}:{get_language()}:{timezone.localdate().isoformat()}:{version}:"
            f"{path[:32]}"
        )
        entry = cache.get(key)
        if entry is None:
            self._anonymous_cache_key = key
            return
        answer = HttpResponse(entry["body"], content_type=entry["content_type"])
        answer[page_cache.HEADER] = "hit"
        # DRF calls the handler after initial(): this instance answers with the stored body.
        self.get = lambda *args, **kwargs: answer

    @property
    def municipality(self):
        return self.request._request.municipality

    def sees_internal(self) -> bool:
        """The town's internal rows, as on its staff pages: rule ``town.view_staff_area`` with TOTP set up; a
        moderator without a membership is audited like on the HTML pages (once per request)."""
        request = self.request._request
        if not hasattr(request, "api_sees_internal"):
            user, town = self.request.user, self.municipality
            request.api_sees_internal = (  # type: ignore[attr-defined]  # kept on the request, once per request
                permissions.town_access(user, "town.view_staff_area", town) == permissions.ALLOWED
            )
            if request.api_sees_internal and permissions.is_cross_town_read(user, town):  # type: ignore[attr-defined]
                audit_moderator_visit(self.request, town)
        return request.api_sees_internal  # type: ignore[attr-defined]
