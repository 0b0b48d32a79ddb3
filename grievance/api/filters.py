"""Filter backends for the API."""

from django_filters.rest_framework import DjangoFilterBackend


class QueryParamFilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the filterset's parameters.

    A filterset given no values filters nothing, but building it (a form with a field per filter,
    each deep-copied) is a large part of a plain list request: `GET /complaints/?page=2` skips it.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not self.applies(request, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)

    @staticmethod
    def applies(request, filterset_class) -> bool:
        """Does the request name any of the filterset's parameters?"""
        return filterset_class is None or _names_any(request.query_params, filterset_class.base_filters)


def _names_any(params, filter_names) -> bool:
    # By prefix: some widgets read "<name>_min", "<name>_after", ... (never wrongly skipped).
    return any(param.startswith(name) for param in params for name in filter_names)
