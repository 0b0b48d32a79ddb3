"""GeoReport v2 resources. Reads are public (PII-free); POST requests needs an API key with the
`open311` scope. Every answer is XML or JSON by the `.xml`/`.json` suffix (XML without one)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKeyScope
from accounts.permissions import HasApiKeyScope
from open311 import documents, selectors
from open311.authentication import GeoReportApiKeyAuthentication
from open311.errors import GeoReportError, bad_request, georeport_exception_handler, not_found
from open311.forms import ServiceRequestForm, attributes_from
from open311.renderers import GeoReportJSONRenderer, GeoReportXMLRenderer
from open311.services import request_fingerprint, service_request_file


class GeoReportView(APIView):
    # XML first: the spec's required format, and the answer when no suffix is given.
    renderer_classes = [GeoReportXMLRenderer, GeoReportJSONRenderer]
    parser_classes = [FormParser, MultiPartParser]
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # GeoReport has its own specification; it stays out of the REST API's OpenAPI document.
    schema = None
    xml_root = ""
    xml_item = ""

    def get_exception_handler(self):
        return georeport_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # the format first, so the error is in it
        # A NUL reaches no database (PostgreSQL refuses it in text): garbage in, a 400 out.
        values = [request.path, *map(str, kwargs.values())]
        values += [value for _key, items in request.query_params.lists() for value in [_key, *items]]
        if any("\x00" in value for value in values):
            raise bad_request("Null characters are not allowed.")

    def track_url(self, reference: str) -> str:
        return self.request.build_absolute_uri(reverse("complaints:track-detail", kwargs={"reference": reference}))


class DiscoveryView(GeoReportView):
    xml_root = "discovery"

    def get(self, request, format=None):
        endpoint = request.build_absolute_uri(reverse("open311:root"))
        return Response(documents.discovery_document(endpoint_url=endpoint, contact=settings.OPEN311_CONTACT))


class ServiceListView(GeoReportView):
    xml_root, xml_item = "services", "service"

    def get(self, request, format=None):
        return Response([documents.service_document(service) for service in selectors.services()])


class ServiceDefinitionView(GeoReportView):
    xml_root = "service_definition"

    def get(self, request, service_code: str, format=None):
        service = selectors.service_by_code(service_code)
        if service is None:
            raise not_found(f"service_code {service_code} was not found.")
        return Response(documents.service_definition_document(service))


class RequestListView(GeoReportView):
    xml_root, xml_item = "service_requests", "request"

    def get_authenticators(self):
        # Reading is public; filing needs a key.
        return [GeoReportApiKeyAuthentication()] if self.request.method == "POST" else []

    def get_permissions(self):
        if self.request.method == "POST":
            return [HasApiKeyScope.with_scope(ApiKeyScope.OPEN311.value)()]
        return [AllowAny()]

    def get(self, request, format=None):
        filters = selectors.parse_request_filters(request.query_params)
        unknown = selectors.unknown_service_codes(filters.service_codes) if filters.service_codes else []
        if unknown:
            raise bad_request(*(f"service_code {code} was not found." for code in unknown))
        rows = selectors.filter_requests(selectors.requests_queryset(), filters)
        return Response([documents.request_document(row, track_url=self.track_url) for row in rows])

    def post(self, request, format=None):
        form = ServiceRequestForm(request.data)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        attributes = attributes_from(request.data)
        # Files are not part of GeoReport v2 (media_url is): an uploaded one is ignored, here too.
        fields = [(key, values) for key, values in request.data.lists() if all(isinstance(v, str) for v in values)]
        fingerprint = request_fingerprint(owner=request.user, items=fields)
        filed = service_request_file(
            service_account=request.user, data=form.cleaned_data, attributes=attributes, fingerprint=fingerprint
        )
        body = [
            documents.created_document(
                filed.complaint,
                token=filed.token,
                account_id=form.cleaned_data.get("account_id", ""),
                track_url=self.track_url,
            )
        ]
        return Response(body, status=status.HTTP_200_OK if filed.replayed else status.HTTP_201_CREATED)


class RequestDetailView(GeoReportView):
    xml_root, xml_item = "service_requests", "request"

    def get(self, request, service_request_id: str, format=None):
        row = selectors.request_by_id(service_request_id)
        if row is None:
            raise not_found(f"service_request_id {service_request_id} was not found.")
        return Response([documents.request_document(row, track_url=self.track_url)])


class TokenView(GeoReportView):
    xml_root, xml_item = "service_requests", "request"

    def get(self, request, token: str, format=None):
        record = selectors.token_lookup(token)
        if record is None:
            raise not_found(f"token {token} was not found.")
        return Response([documents.token_document(token=record.token, reference=record.complaint.reference)])


class NotFoundView(GeoReportView):
    """Anything else under /open311/v2/: the spec's 404 document rather than an HTML page."""

    def dispatch(self, request, *args, **kwargs):
        # Answer in JSON when the path asks for it; otherwise XML.
        kwargs = {"format": "json"} if request.path.endswith(".json") else {}
        return super().dispatch(request, *args, **kwargs)

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise GeoReportError(404, "No such GeoReport resource.")

    get = post = put = patch = delete = http_method_not_allowed
