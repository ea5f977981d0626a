"""The API's page numbers, exactly as the schema describes them."""

from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from smartcity5.pagination import COUNT_CAP


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page-number pagination, except that an empty ``?page=`` is refused like any other page that is not a
    whole number (404, "Invalid page."), instead of being read as page 1: the schema declares an integer.

    Every list answer also says ``count_capped``: true when a filtered list found more rows than it counts
    (``smartcity5.pagination.COUNT_CAP``; ``count`` is then the cap, and the pages reach that far)."""

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param, None) == "":
            raise NotFound(
                self.invalid_page_message.format(page_number="", message="That page number is not an integer")
            )
        return super().get_page_number(request, paginator)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_capped": bool(getattr(paginator, "capped", False)),
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        properties = {
            "count": described["properties"].pop("count"),
            "count_capped": {
                "type": "boolean",
                "example": False,
                "description": "True when more rows match a filtered list than it counts: count is then the cap "
                f"({COUNT_CAP:,}), and the pages reach the first {COUNT_CAP:,} rows.",
            },
        }
        described["properties"] = {**properties, **described["properties"]}
        described["required"] = ["count", "count_capped", *[r for r in described["required"] if r != "count"]]
        return described
