"""Personal API tokens (``Authorization: Bearer …``): the authentication class and its OpenAPI security scheme."""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts import permissions
from accounts.models import ApiToken

KEYWORD = b"bearer"
#: ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class PersonalTokenAuthentication(BaseAuthentication):
    """A request with ``Authorization: Bearer <secret>`` acts as the token's owner; one without the header is left
    to the next class (the session). A header that names a token which does not work is refused (401), even if the
    request also carries a session: a caller that means a token must learn that it failed.

    Tokens are found by the SHA-256 digest of the secret (the secret is never stored). Each request checks the
    token (not revoked, not expired) and its owner (active, still allowed: ``permissions.can_use_api_tokens``).
    DRF does not check CSRF for requests authenticated here: a browser never sends the header by itself."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Malformed Authorization header: expected “Bearer <token>”."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Malformed token.")) from None
        return self.authenticate_secret(secret)

    def authenticate_secret(self, secret: str):
        if not ApiToken.is_well_formed(secret):
            raise AuthenticationFailed(_("Malformed token."))
        token = ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(secret)).first()
        if token is None:
            raise AuthenticationFailed(_("Unknown token."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise AuthenticationFailed(_("This token has been revoked."))
        if token.is_expired(now):
            raise AuthenticationFailed(_("This token has expired."))
        user = token.user
        if not user.is_active:
            raise AuthenticationFailed(_("The account of this token is deactivated."))
        if not permissions.can_use_api_tokens(user):
            raise AuthenticationFailed(
                _(
                    "The account of this token may no longer use API tokens (it needs a staff "
                    "or moderator role and two-factor authentication)."
                )
            )
        self._note_use(token, now)
        return user, token

    @staticmethod
    def _note_use(token: ApiToken, now) -> None:
        # One write a minute at most, and a conditional one, so parallel requests do not all write.
        if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
            return
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION), pk=token.pk
        ).update(last_used_at=now)
        token.last_used_at = now

    def authenticate_header(self, request) -> str:
        # Also makes DRF answer "not signed in" with 401 (and this header) instead of 403.
        return 'Bearer realm="api"'


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema: an HTTP bearer security scheme."""

    target_class = "api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token of staff or moderators (made on the account page, "
            "/konto/api-tokens/): `Authorization: Bearer sc5_…`.",
        }
