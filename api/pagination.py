"""The API's page numbers, exactly as the schema describes them."""

from rest_framework import pagination
from rest_framework.exceptions import NotFound


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page-number pagination, except that an empty ``?page=`` is refused like any other page that is not a
    whole number (404, "Invalid page."), instead of being read as page 1: the schema declares an integer."""

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param, None) == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message="That page number is not an "
                                                                                   "integer"))
        return super().get_page_number(request, paginator)
