"""The API's one pagination: `?page=N`, answered as {count, next, previous, results}."""

from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    invalid_page_message = "페이지를 찾을 수 없습니다."
    last_page_strings = ()  # `?page=last` is not an integer: the schema says page is one

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
