"""Reading GeoReport v2: discovery, services, a service's definition, requests and one request,
in XML and JSON, shaped as the spec's examples, with only public fields."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintEvent
from complaints.selectors import public_timeline
from departments.tests.factories import CategoryFactory, ClosureReasonFactory

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
# The elements of a request in the spec's GET requests example that we publish (address, address_id,
# zipcode and media_url are left out: they are the reporter's, not public).
REQUEST_ELEMENTS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "lat",
    "long",
]


def xml_of(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def children(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


# --- discovery ---------------------------------------------------------------------------------
def test_discovery_lists_this_endpoint_and_its_formats(client, settings):
    settings.OPEN311_CONTACT = "open311@city.example"
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["contact"] == "open311@city.example"
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["formats"] == ["text/xml", "application/json"]

    root = xml_of(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert children(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


# --- services ----------------------------------------------------------------------------------
def test_services_are_the_active_subcategories_grouped_by_category(client, pothole, streetlight):
    CategoryFactory(code="old-pothole", name="Old", parent=pothole.parent, is_active=False)
    body = client.get(f"{BASE}/services.json").json()
    assert body == [
        {
            "service_code": "pothole",
            "service_name": "Pothole",
            "description": "A hole in the road surface.",
            "metadata": False,
            "type": "realtime",
            "keywords": "गड्ढा, Roads",
            "group": "Roads",
        },
        {
            "service_code": "streetlight-out",
            "service_name": "Streetlight out",
            "description": "",
            "metadata": False,
            "type": "realtime",
            "keywords": "Street lighting",
            "group": "Street lighting",
        },
    ]


def test_services_xml_is_the_spec_example_shape(client, pothole):
    root = xml_of(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    [service] = root.findall("service")
    assert children(service) == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group"
    ]  # fmt: skip
    assert service.findtext("service_code") == "pothole"
    assert service.findtext("metadata") == "false"
    assert service.findtext("type") == "realtime"


def test_without_a_suffix_the_answer_is_xml(client, pothole):
    assert xml_of(client.get(f"{BASE}/services")).tag == "services"


def test_service_definition_in_json_and_xml(client, pothole):
    assert client.get(f"{BASE}/services/pothole.json").json() == {"service_code": "pothole", "attributes": []}
    root = xml_of(client.get(f"{BASE}/services/pothole.xml"))
    assert root.tag == "service_definition"
    assert children(root) == ["service_code", "attributes"]
    assert root.findtext("service_code") == "pothole"


@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_unknown_or_inactive_service_is_the_spec_404(client, pothole, suffix):
    CategoryFactory(code="retired", name="Retired", parent=pothole.parent, is_active=False)
    for code in ("nope", "retired", "roads"):  # "roads" is a category, not a service
        response = client.get(f"{BASE}/services/{code}.{suffix}")
        assert response.status_code == 404
        if suffix == "json":
            assert response.json() == [{"code": 404, "description": f"service_code {code} was not found."}]
        else:
            root = xml_of(response)
            assert root.tag == "errors"
            assert [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")] == [
                ("404", f"service_code {code} was not found.")
            ]


# --- requests ----------------------------------------------------------------------------------
def test_a_request_by_id_in_json_shows_public_fields_only(client, citizen, file_for, dept_roads):
    complaint = file_for(citizen)
    [row] = client.get(f"{BASE}/requests/{complaint.reference}.json").json()
    assert list(row) == REQUEST_ELEMENTS
    assert row["service_request_id"] == complaint.reference
    assert row["status"] == "open"
    assert row["status_notes"] is None
    assert row["service_code"] == "pothole" and row["service_name"] == "Pothole"
    assert row["description"] == "Pothole on MG Road"
    assert row["agency_responsible"] == "Roads"
    assert row["service_notice"] == f"Track this request at http://testserver/track/{complaint.reference}/"
    assert row["lat"] == 12.9716 and row["long"] == 77.5946
    assert row["requested_datetime"] == timezone.localtime(complaint.created_at).isoformat(timespec="seconds")
    assert row["expected_datetime"] == timezone.localtime(complaint.sla_due_at).isoformat(timespec="seconds")
    assert dt.datetime.fromisoformat(row["requested_datetime"]).tzinfo is not None
    # Nothing of the citizen's: not their name, phone, email, own words or address.
    text = client.get(f"{BASE}/requests/{complaint.reference}.json").content.decode()
    for private in (citizen.full_name, citizen.phone, citizen.email, "+919812345678", "12 MG Road", "bus stop"):
        assert private not in text


def test_a_request_by_id_in_xml_is_the_spec_example_shape(client, citizen, file_for):
    complaint = file_for(citizen)
    root = xml_of(client.get(f"{BASE}/requests/{complaint.reference}.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert children(request) == REQUEST_ELEMENTS
    assert request.findtext("service_request_id") == complaint.reference
    assert request.findtext("status") == "open"
    assert request.findtext("lat") == "12.9716"


def test_the_reference_is_the_id_in_any_case(client, citizen, file_for):
    complaint = file_for(citizen)
    [row] = client.get(f"{BASE}/requests/{complaint.reference.lower()}.json").json()
    assert row["service_request_id"] == complaint.reference


@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_unknown_request_is_the_spec_404(client, suffix):
    response = client.get(f"{BASE}/requests/GRV-2026-999999.{suffix}")
    assert response.status_code == 404
    if suffix == "json":
        assert response.json() == [{"code": 404, "description": "service_request_id GRV-2026-999999 was not found."}]
    else:
        assert xml_of(response).findtext("error/code") == "404"


def test_statuses_map_to_open_and_closed_with_public_status_notes(
    client, citizen, file_for, dispatcher, dept_roads, make_user
):
    from accounts.models import Role

    officer = make_user(role=Role.OFFICER, department=dept_roads)
    resolved = file_for(citizen, title="Resolved one")
    services.complaint_triage(complaint=resolved, actor=dispatcher, department=dept_roads)
    services.complaint_start(complaint=resolved, actor=officer)
    services.comment_add(complaint=resolved, author=officer, body="Contractor is slow", is_internal=True)
    services.complaint_resolve(complaint=resolved, actor=officer, note="Pothole filled on Tuesday.")
    rejected = file_for(citizen, title="Rejected one")
    reason = ClosureReasonFactory(code="out-of-jurisdiction", name="Not our jurisdiction")
    services.complaint_reject(complaint=rejected, actor=dispatcher, closure_reason=reason, note="Spoke to Mr Rao")
    escalated = file_for(citizen, title="Escalated one")
    services.complaint_triage(complaint=escalated, actor=dispatcher, department=dept_roads)
    services.complaint_escalate(complaint=escalated, actor=None, reason="Officer Rao ignored it", kind="automatic")

    rows = {row["description"]: row for row in client.get(f"{BASE}/requests.json").json()}
    assert (rows["Resolved one"]["status"], rows["Resolved one"]["status_notes"]) == (
        "closed", "Pothole filled on Tuesday."
    )  # fmt: skip
    assert (rows["Rejected one"]["status"], rows["Rejected one"]["status_notes"]) == ("closed", "Not our jurisdiction")
    assert (rows["Escalated one"]["status"], rows["Escalated one"]["status_notes"]) == ("open", None)
    text = client.get(f"{BASE}/requests.xml").content.decode()
    for private in ("Contractor is slow", "Mr Rao", "Officer Rao"):
        assert private not in text


def test_updated_datetime_is_the_latest_public_event_not_an_internal_note(client, citizen, file_for, dispatcher):
    complaint = file_for(citizen)
    services.comment_add(complaint=complaint, author=dispatcher, body="internal", is_internal=True)
    ComplaintEvent.objects.filter(complaint=complaint, is_internal=True).update(
        created_at=timezone.now() + dt.timedelta(hours=5)
    )
    [row] = client.get(f"{BASE}/requests/{complaint.reference}.json").json()
    latest_public = list(public_timeline(complaint))[-1].created_at
    assert row["updated_datetime"] == timezone.localtime(latest_public).isoformat(timespec="seconds")


def test_requests_filter_by_status_service_code_and_ids(client, citizen, file_for, streetlight, dispatcher):
    open_pothole = file_for(citizen, title="open pothole")
    closed_pothole = file_for(citizen, title="closed pothole")
    services.complaint_reject(
        complaint=closed_pothole, actor=dispatcher, closure_reason=ClosureReasonFactory(), note=""
    )
    light = file_for(citizen, title="dark street", category=streetlight.parent, subcategory=streetlight)

    def titles(query: str) -> list[str]:
        response = client.get(f"{BASE}/requests.json{query}")
        assert response.status_code == 200, response.content
        return [row["description"] for row in response.json()]

    assert titles("") == ["dark street", "closed pothole", "open pothole"]  # newest first
    assert titles("?status=open") == ["dark street", "open pothole"]
    assert titles("?status=closed") == ["closed pothole"]
    assert titles("?status=open,closed") == ["dark street", "closed pothole", "open pothole"]
    assert titles("?service_code=streetlight-out") == ["dark street"]
    assert titles("?service_code=pothole,streetlight-out&status=open") == ["dark street", "open pothole"]
    # service_request_id overrides every other parameter, even an impossible date range.
    ids = f"{open_pothole.reference},{light.reference.lower()}"
    assert titles(f"?service_request_id={ids}&status=closed&start_date=2001-01-01") == ["dark street", "open pothole"]


def test_requests_default_to_the_last_90_days_and_take_a_date_range(client, citizen, file_for):
    old = file_for(citizen, title="old")
    Complaint.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=120))
    file_for(citizen, title="recent")
    assert [r["description"] for r in client.get(f"{BASE}/requests.json").json()] == ["recent"]
    start = (timezone.now() - dt.timedelta(days=125)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    response = client.get(f"{BASE}/requests.json", {"start_date": start, "end_date": end})
    assert [r["description"] for r in response.json()] == ["old"]
    # Only a start: the 90 days that follow it.
    response = client.get(f"{BASE}/requests.json", {"start_date": start})
    assert [r["description"] for r in response.json()] == ["old"]


@pytest.mark.parametrize(
    "query, description",
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-15T00:00:00Z"},
         "start_date and end_date may not be more than 90 days apart."),
        ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"},
         "start_date must be before end_date."),
        ({"start_date": "yesterday"}, "start_date is not a w3c date and time, e.g. 2026-01-01T00:00:00Z."),
        ({"end_date": "2026-13-45T99:00:00Z"}, "end_date is not a w3c date and time, e.g. 2026-01-01T00:00:00Z."),
        ({"status": "pending"}, "status must be open, closed, or both (comma separated)."),
        ({"service_code": "nope"}, "service_code nope was not found."),
    ],
)  # fmt: skip
@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_bad_request_filters_are_the_spec_400(client, pothole, query, description, suffix):
    response = client.get(f"{BASE}/requests.{suffix}", query)
    assert response.status_code == 400
    if suffix == "json":
        assert response.json() == [{"code": 400, "description": description}]
    else:
        root = xml_of(response)
        assert root.tag == "errors"
        assert root.findtext("error/description") == description


def test_unknown_resources_and_formats_are_a_404_document(client):
    response = client.get(f"{BASE}/nothing-here.json")
    assert response.status_code == 404 and response.json()[0]["code"] == 404
    response = client.get(f"{BASE}/services.html")
    assert response.status_code == 404 and xml_of(response).tag == "errors"


def test_a_page_of_1000_requests_takes_a_fixed_number_of_queries(
    client, citizen, file_for, django_assert_max_num_queries
):
    first = file_for(citizen)
    now = timezone.now()
    rows = [
        Complaint(
            reference=f"GRV-2026-9{n:05d}",
            citizen=citizen,
            created_by=citizen,
            title=f"Pothole {n}",
            description="x",
            category_id=first.category_id,
            subcategory_id=first.subcategory_id,
            department_id=first.department_id,
            latitude=first.latitude,
            longitude=first.longitude,
            sla_due_at=first.sla_due_at,
            created_at=now - dt.timedelta(seconds=n),
        )
        for n in range(1, 1005)
    ]
    Complaint.objects.bulk_create(rows)
    # No queries per row: the filter's code lookup and the page itself.
    with django_assert_max_num_queries(2):
        response = client.get(f"{BASE}/requests.json", {"service_code": "pothole"})
    assert response.status_code == 200
    assert len(response.json()) == 1000
    with django_assert_max_num_queries(1):
        response = client.get(f"{BASE}/requests.xml")
    assert len(xml_of(response).findall("request")) == 1000


@pytest.mark.parametrize(
    "path",
    [
        "/requests/GRV%00.json",
        "/services/pot%00hole.json",
        "/tokens/%00.json",
        "/requests.json?service_code=%00",
        "/requests.json?service_request_id=GRV-2026-000001,%00",
        "/requests.json?start_date=2026-01-01%00",
    ],
)
def test_null_characters_in_reads_are_a_400_not_a_500(client, path):
    response = client.get(f"{BASE}{path}")
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "Null characters are not allowed."}]


def test_too_many_service_codes_are_a_400(client):
    codes = ",".join(f"code-{n}" for n in range(201))
    response = client.get(f"{BASE}/requests.json", {"service_code": codes})
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "At most 200 service_code values at once."}]
