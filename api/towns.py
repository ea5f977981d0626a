"""The towns through the API (read only), and the JSON 404 under /api/."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers

from accounts.decorators import public
from api.base import LabelledAPIView
from api.schema import list_schema
from municipalities.models import Municipality


class TownSerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["slug", "name", "official_name", "district", "population", "website", "is_lead"]


class TownList(LabelledAPIView):
    """The active towns of the consortium (towns are public facts; no scope)."""

    serializer_class = TownSerializer
    conditional = True

    def get_queryset(self):
        return Municipality.objects.active().order_by("name")

    @list_schema(TownSerializer)
    def get(self, request, *args, **kwargs):
        return self.paginated(self.get_queryset())


@public
@csrf_exempt  # a POST to an unknown address is a JSON 404 too, not the HTML CSRF page; nothing is written
def not_found(request, *args, **kwargs):
    """An address under /api/ that no API view answers: 404 in the API's error format."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
