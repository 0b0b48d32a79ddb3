"""An independent GeoReport v2 client from PyPI (`georeport`) against a live server.

`georeport` 0.3.1 reads services, service definitions and requests, in JSON and XML; it does not
post requests or read tokens, so those two steps are plain `requests` calls shaped by the spec.
"""

import pytest
import requests
from georeport import GeoReport

from complaints.models import Complaint


@pytest.fixture
def endpoint(live_server) -> str:
    return f"{live_server.url}/open311/v2"


def test_a_georeport_client_reads_services_files_a_request_and_reads_it_back(
    endpoint, pothole, streetlight, sla_policy, open311_key
):
    client = GeoReport(endpoint, api_key=open311_key)
    services = client.get_service_list()
    assert [s["service_code"] for s in services] == ["pothole", "streetlight-out"]
    assert services[0]["group"] == "Roads" and services[0]["metadata"] is False
    assert client.get_service_definition("pothole") == {"service_code": "pothole", "attributes": []}

    # The write side: form-encoded, with the api_key in the form, as GeoReport v2 clients post.
    posted = requests.post(
        f"{endpoint}/requests.json",
        data={
            "api_key": client.api_key,
            "service_code": services[0]["service_code"],
            "lat": "12.9716",
            "long": "77.5946",
            "email": "reporter@example.org",
            "description": "Pothole outside the school gate.",
            "device_id": "live-test",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    [created] = posted.json()
    request_id, token = created["service_request_id"], created["token"]
    assert isinstance(request_id, str) and isinstance(token, str)
    assert Complaint.objects.get().reference == request_id

    by_id = client.get_service_request(request_id)
    assert (by_id["service_request_id"], by_id["status"], by_id["service_code"]) == (request_id, "open", "pothole")
    assert by_id["agency_responsible"] == "Roads"
    [listed] = client.get_service_requests(service_request_id=request_id)
    assert listed == by_id
    assert [r["service_request_id"] for r in client.get_service_requests(status="open")] == [request_id]

    by_token = requests.get(f"{endpoint}/tokens/{token}.json", timeout=10)
    assert by_token.json() == [{"service_request_id": request_id, "token": token}]

    # The same reads in XML, parsed by the client's own XML path.
    xml_client = GeoReport(endpoint, output_format="xml")
    assert xml_client.get_service_list()[0]["service_code"] == "pothole"
    assert xml_client.get_service_definition("pothole")["service_code"] == "pothole"
    in_xml = xml_client.get_service_request(request_id)
    assert (in_xml["service_request_id"], in_xml["status"], in_xml["lat"]) == (request_id, "open", "12.9716")
    assert xml_client.get_service_requests(service_request_id=request_id)["service_request_id"] == request_id
    token_xml = requests.get(f"{endpoint}/tokens/{token}.xml", timeout=10)
    assert f"<service_request_id>{request_id}</service_request_id>" in token_xml.text

    # A retry of the same POST (a client that timed out) does not file twice.
    retry = requests.post(
        f"{endpoint}/requests.json",
        data={
            "api_key": client.api_key,
            "service_code": "pothole",
            "lat": "12.9716",
            "long": "77.5946",
            "email": "reporter@example.org",
            "description": "Pothole outside the school gate.",
            "device_id": "live-test",
        },
        timeout=10,
    )
    assert retry.status_code == 200 and retry.json() == [created]
    assert Complaint.objects.count() == 1


def test_the_client_sees_the_spec_errors(endpoint, pothole):
    client = GeoReport(endpoint)
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_definition("nope")
    assert raised.value.response.status_code == 404
    assert raised.value.response.json() == [{"code": 404, "description": "service_code nope was not found."}]
    response = requests.post(f"{endpoint}/requests.xml", data={"service_code": "pothole"}, timeout=10)
    assert response.status_code == 403
    assert "<errors><error><code>403</code>" in response.text
