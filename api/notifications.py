"""The signed-in person's own notifications through the API (all towns; own rows only, like the page)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as s
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.response import Response

from accounts.decorators import PERSONAL
from notifications import selectors, services
from notifications.models import Notification

from .base import LabelledAPIView
from .schema import ERRORS, WRITE_ERRORS, list_schema


class NotificationSerializer(s.ModelSerializer):
    town = s.SlugRelatedField(source="municipality", slug_field="slug", read_only=True)
    is_read = s.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "town", "created_at", "read_at", "is_read"]

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class ReadAllSerializer(s.Serializer):
    marked = s.IntegerField(help_text="How many were unread.")


class PersonalAPIView(LabelledAPIView):
    access = PERSONAL

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.is_authenticated:
            raise NotAuthenticated


class NotificationList(PersonalAPIView):
    """Own notifications, newest first; ``?unread=true`` for the unread ones only."""

    serializer_class = NotificationSerializer

    @list_schema(NotificationSerializer)
    def get(self, request, *args, **kwargs):
        qs = selectors.user_notifications(user=request.user)
        if request.query_params.get("unread") in ("true", "1"):
            qs = qs.filter(read_at__isnull=True)
        return self.paginated(qs)


class NotificationRead(PersonalAPIView):
    """Mark one own notification read."""

    serializer_class = NotificationSerializer

    @extend_schema(request=None, responses={200: NotificationSerializer, **WRITE_ERRORS})
    def post(self, request, *args, **kwargs):
        notification = selectors.user_notifications(user=request.user).filter(pk=kwargs["pk"]).first()
        if notification is None:
            raise NotFound(_("No such notification."))
        return self.one(services.notification_open(notification=notification))


class NotificationsReadAll(PersonalAPIView):
    """Mark all own notifications read."""

    serializer_class = ReadAllSerializer

    @extend_schema(request=None, responses={200: ReadAllSerializer, **ERRORS, **WRITE_ERRORS})
    def post(self, request, *args, **kwargs):
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})
