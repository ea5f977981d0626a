"""Personal API tokens (``Authorization: Bearer …``) — filled in by the token work of issue 7."""

from rest_framework.authentication import BaseAuthentication


class PersonalTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return None
