"""The API's one pagination: `?page=N`, answered as {count, next, previous, results}."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    invalid_page_message = "페이지를 찾을 수 없습니다."
    last_page_strings = ()  # `?page=last` is not an integer: the schema says page is one

    def get_page_number(self, request, paginator):
        """`?page=` must be a whole number from 1 when it is given: any other (empty included, which DRF reads as
        page 1, answering a request its schema forbids) names no page, a 404 like a page past the last."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise NotFound(self.invalid_page_message)
        return raw

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "페이지 번호 (1부터). 마지막 페이지를 넘으면 404입니다.",
                "schema": {"type": "integer", "minimum": 1},
            }
        ]

    def get_paginated_response_schema(self, schema):
        body = super().get_paginated_response_schema(schema)
        body["properties"]["count"]["minimum"] = 0
        body["required"] = ["count", "next", "previous", "results"]
        return body
