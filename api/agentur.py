"""Cross-town reads of the Südwestfalen Agentur through the API: all towns side by side and the region's total, as
on /agentur/ (the key figures of ``agentur.figures``).

Moderators with a second factor only (others: 404; anonymous: 401); every request is one audited read
(``agentur.crosstown.agentur_dashboard``, the same function as the page)."""

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as s
from rest_framework.response import Response

from accounts import permissions
from accounts.decorators import AGENTUR
from agentur import crosstown

from .base import LabelledAPIView, refuse
from .schema import ERRORS


class TownFiguresSerializer(s.Serializer):
    town = s.CharField(help_text="The town's slug.")
    name = s.CharField()
    figures = s.DictField(
        child=s.FloatField(allow_null=True),
        help_text="Figure key → value (counts, percentages, euros, days); null where there is "
        "nothing to measure.",
    )


class OverviewSerializer(s.Serializer):
    today = s.DateField()
    figures = s.DictField(child=s.CharField(), help_text="Figure key → its label.")
    towns = TownFiguresSerializer(many=True)
    region = s.DictField(
        child=s.FloatField(allow_null=True),
        help_text="Figure key → the region's total (the sum over the towns; rates from the sums; "
        "null for a median).",
    )


def _number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value if isinstance(value, int | float) or value is None else None


class AgenturOverview(LabelledAPIView):
    """The figures of every active town side by side (projects, funding, participation, staff), filtered by
    ``field`` (slug of a field of action) and ``phase`` like the dashboard."""

    access = AGENTUR
    serializer_class = OverviewSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The rule of the /agentur/ pages.
        refuse(
            permissions.agentur_access(request.user),
            mfa_message=_("Please set up two-factor authentication first."),
        )

    @extend_schema(responses={200: OverviewSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        data = crosstown.agentur_dashboard(
            user=request.user, path=request.get_full_path()[:500], query=request.query_params
        )
        rows = [row for section in data["sections"] for row in section["rows"]]
        joint = [row for row in rows if row["cells"] and row["cells"][0].joint is not None]
        labels = {row["key"]: str(row["label"]) for row in rows}
        # A joint project (process, idea) counts for its lead town; a partner town's "+N gemeinsam" is
        # "<key>_joint", never part of "<key>" or of the region's total.
        labels.update(
            {
                f"{row['key']}_joint": _("%(figure)s: joint, led by a partner town")
                % {"figure": row["label"]}
                for row in joint
            }
        )
        towns = [
            {
                "town": town.slug,
                "name": town.name,
                "figures": {
                    **{row["key"]: _number(row["cells"][index].value) for row in rows},
                    **{f"{row['key']}_joint": row["cells"][index].joint for row in joint},
                },
            }
            for index, town in enumerate(data["towns"])
        ]
        return Response(
            {
                "today": data["today"],
                "figures": labels,
                "towns": towns,
                "region": {row["key"]: _number(row["total"].value) for row in rows},
            }
        )
