"""Filing through POST requests: the API key's scope, the citizen by phone or email, the same
complaint service as the REST API, one complaint per retried request, and the spec's errors."""

import xml.etree.ElementTree as ET

import pytest

from accounts.models import Role, User
from complaints.models import Complaint, ComplaintEvent, Source, Status
from open311.models import ServiceRequestToken

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests"


@pytest.fixture
def form(pothole, sla_policy, open311_key):
    return {
        "api_key": open311_key,
        "service_code": "pothole",
        "lat": "12.9716",
        "long": "77.5946",
        "address_string": "MG Road near the bus stop",
        "description": "A deep pothole that floods when it rains.",
        "phone": "+919812340001",
        "first_name": "Ravi",
        "last_name": "Kumar",
        "device_id": "phone-42",
        "account_id": "fms-7",
        "media_url": "https://fixmystreet.example/photo/1.jpg",
        "attribute[depth]": "30cm",
    }


def post(client, data, suffix="json", **extra):
    return client.post(f"{URL}.{suffix}", data, **extra)


def test_post_files_a_complaint_for_the_citizen_by_phone_and_answers_id_and_token(
    client, form, open311_account, dept_roads
):
    response = post(client, form)
    assert response.status_code == 201, response.content
    [body] = response.json()
    complaint = Complaint.objects.get()
    assert body == {
        "service_request_id": complaint.reference,
        "token": ServiceRequestToken.objects.get(complaint=complaint).token,
        "service_notice": f"Track this request at http://testserver/track/{complaint.reference}/",
        "account_id": "fms-7",
    }
    citizen = User.objects.get(phone="+919812340001")
    assert citizen.role == Role.CITIZEN and citizen.full_name == "Ravi Kumar"
    assert complaint.citizen == citizen and complaint.created_by == open311_account
    assert complaint.source == Source.OPEN311
    assert (complaint.category.code, complaint.subcategory.code) == ("roads", "pothole")
    assert complaint.department == dept_roads
    assert complaint.title == "Pothole"
    assert complaint.description == "A deep pothole that floods when it rains."
    assert str(complaint.latitude) == "12.971600" and str(complaint.longitude) == "77.594600"
    assert complaint.address == "MG Road near the bus stop"
    assert complaint.sla_due_at is not None
    assert complaint.metadata == {
        "open311": {
            "device_id": "phone-42",
            "account_id": "fms-7",
            "media_url": "https://fixmystreet.example/photo/1.jpg",
            "attributes": {"depth": "30cm"},
        }
    }
    assert ComplaintEvent.objects.get(complaint=complaint).action == "created"


def test_post_answers_in_xml_as_the_spec_example(client, form):
    response = post(client, form, suffix="xml")
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [child.tag for child in request] == ["service_request_id", "token", "service_notice", "account_id"]
    assert request.findtext("service_request_id") == Complaint.objects.get().reference


def test_an_existing_citizen_is_found_by_phone_in_any_format(client, form, citizen):
    form["phone"] = citizen.phone.replace("+91", "0")
    assert post(client, form).status_code == 201
    assert Complaint.objects.get().citizen == citizen
    assert User.objects.filter(role=Role.CITIZEN).count() == 1


def test_a_citizen_known_by_email_only_is_created_then_found(client, form):
    del form["phone"]
    form["email"] = "Asha@Example.org"
    assert post(client, form).status_code == 201
    citizen = User.objects.get(email="asha@example.org")
    assert citizen.role == Role.CITIZEN and citizen.phone is None and not citizen.has_usable_password()
    form["description"] = "Another one"
    assert post(client, form).status_code == 201
    assert set(Complaint.objects.values_list("citizen", flat=True)) == {citizen.pk}


def test_a_staff_members_email_is_not_a_citizen(client, form, dispatcher):
    del form["phone"]
    form["email"] = dispatcher.email
    response = post(client, form)
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "citizen: Complaints are filed for a citizen."}]
    assert not Complaint.objects.exists()


def test_a_retry_with_the_same_fields_returns_the_first_request(client, form):
    first = post(client, form)
    # The same fields in another order and with the key in the header instead: still a retry.
    key = form.pop("api_key")
    retry = post(client, dict(reversed(form.items())), HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert Complaint.objects.count() == 1


def test_a_different_device_or_body_is_a_new_request(client, form):
    post(client, form)
    assert post(client, form | {"device_id": "phone-43"}).status_code == 201
    assert post(client, form | {"description": "Another pothole"}).status_code == 201
    assert Complaint.objects.count() == 3
    assert len({t.token for t in ServiceRequestToken.objects.all()}) == 3


def test_the_same_body_from_another_client_is_its_own_request(client, form, pothole):
    from accounts.services import api_key_create
    from accounts.tests.factories import UserFactory

    _key, other_key = api_key_create(
        name="311 app", owner=UserFactory(role=Role.SERVICE, phone=None), scopes=["open311"]
    )
    post(client, form)
    assert post(client, form | {"api_key": other_key}).status_code == 201
    assert Complaint.objects.count() == 2


def test_the_token_leads_to_the_request(client, form):
    [body] = post(client, form).json()
    response = client.get(f"/open311/v2/tokens/{body['token']}.json")
    assert response.json() == [{"service_request_id": body["service_request_id"], "token": body["token"]}]
    root = ET.fromstring(client.get(f"/open311/v2/tokens/{body['token']}.xml").content)
    assert root.tag == "service_requests"
    assert [child.tag for child in root.find("request")] == ["service_request_id", "token"]
    missing = client.get("/open311/v2/tokens/nope.json")
    assert missing.status_code == 404
    assert missing.json() == [{"code": 404, "description": "token nope was not found."}]


def test_the_key_may_come_in_the_query_string(client, form):
    key = form.pop("api_key")
    assert client.post(f"{URL}.json?api_key={key}", form).status_code == 201


# --- who may file ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, description",
    [
        ({"api_key": None}, "api_key was not provided."),
        ({"api_key": "grv_nothing.at-all"}, "Invalid api_key."),
        ({"api_key": "garbage"}, "Invalid api_key."),
        ({"api_key": "x" * 500}, "Invalid api_key."),
    ],
)
@pytest.mark.parametrize("suffix", ["json", "xml"])
def test_posting_without_a_valid_key_is_the_spec_403(client, form, change, description, suffix):
    data = {k: v for k, v in (form | change).items() if v is not None}
    response = post(client, data, suffix=suffix)
    assert response.status_code == 403
    if suffix == "json":
        assert response.json() == [{"code": 403, "description": description}]
    else:
        root = ET.fromstring(response.content)
        assert (root.tag, root.findtext("error/code"), root.findtext("error/description")) == (
            "errors",
            "403",
            description,
        )
    assert not Complaint.objects.exists()


def test_a_key_without_the_open311_scope_or_a_revoked_key_is_403(client, form, open311_account):
    from accounts.models import ApiKey
    from accounts.services import api_key_create, api_key_revoke

    _key, intake_only = api_key_create(name="AI", owner=open311_account, scopes=["intake"])
    response = post(client, form | {"api_key": intake_only})
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": "This API key lacks the 'open311' scope."}]
    for key in ApiKey.objects.all():
        api_key_revoke(api_key=key)
    assert post(client, form).status_code == 403
    assert not Complaint.objects.exists()


def test_a_citizen_jwt_cannot_file(client, form, citizen, auth_client):
    del form["api_key"]
    response = auth_client(citizen).post(f"{URL}.json", form, format="multipart")
    assert response.status_code == 403
    assert not Complaint.objects.exists()


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, description",
    [
        ({"service_code": None}, "service_code was not provided."),
        ({"service_code": "nope"}, "service_code nope was not found."),
        ({"service_code": "roads"}, "service_code roads was not found."),
        (
            {"lat": None, "long": None, "address_string": None},
            "A location is required: lat and long, address_string or address_id.",
        ),
        ({"long": None}, "Give lat and long together."),
        ({"lat": "north"}, "lat: Enter a number."),
        ({"lat": "91"}, "lat: Ensure this value is less than or equal to 90."),
        ({"long": "-180.5"}, "long: Ensure this value is greater than or equal to -180."),
        ({"lat": "NaN"}, "lat: Enter a number."),
        ({"long": "1e999"}, "long: Enter a number."),
        ({"description": "x" * 4001}, "description: Ensure this value has at most 4000 characters (it has 4001)."),
        ({"phone": None}, "email or phone is required to identify the person reporting."),
        ({"phone": "12"}, "phone: Enter a valid phone number."),
        ({"phone": None, "email": "not-an-address"}, "email: Enter a valid email address."),
        ({"phone": None, "email": "a" * 250 + "@example.org"},
         "email: Ensure this value has at most 254 characters (it has 262)."),
        ({"media_url": "javascript:alert(1)"}, "media_url: Enter a valid URL."),
        ({"description": "nul\x00byte"}, "description: Null characters are not allowed."),
        ({"attribute[depth]": "d" * 1001}, "attribute[depth]: At most 1000 characters."),
    ],
)  # fmt: skip
def test_bad_input_is_the_spec_400_and_files_nothing(client, form, change, description):
    data = {k: v for k, v in (form | change).items() if v is not None}
    response = post(client, data)
    assert response.status_code == 400, response.content
    assert response.json() == [{"code": 400, "description": description}]
    assert not Complaint.objects.exists()
    assert not ServiceRequestToken.objects.exists()
    assert not User.objects.filter(role=Role.CITIZEN).exists()


def test_a_4000_character_description_is_accepted(client, form):
    assert post(client, form | {"description": "x" * 4000}).status_code == 201


def test_an_address_alone_is_a_location(client, form):
    data = {k: v for k, v in form.items() if k not in ("lat", "long")}
    assert post(client, data).status_code == 201
    complaint = Complaint.objects.get()
    assert complaint.latitude is None and complaint.address == "MG Road near the bus stop"


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b'{"service_code": "pothole"}', "application/json"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"--x\r\nnot really multipart", "multipart/form-data; boundary=x"),
        (b"<request/>", "text/xml"),
    ],
)
def test_garbage_bodies_are_a_400_or_403_never_a_500(client, open311_key, pothole, body, content_type):
    response = client.post(f"{URL}.json?api_key={open311_key}", body, content_type=content_type)
    assert response.status_code in (400, 403), response.content
    assert response.json()[0]["code"] == response.status_code
    assert not Complaint.objects.exists()


def test_a_complaint_filed_over_open311_reads_back_as_open(client, form):
    [created] = post(client, form).json()
    [row] = client.get(f"/open311/v2/requests/{created['service_request_id']}.json").json()
    assert (row["status"], row["service_code"], row["description"]) == ("open", "pothole", "Pothole")
    assert Complaint.objects.get().status == Status.NEW
    assert "floods" not in client.get(f"/open311/v2/requests/{created['service_request_id']}.xml").content.decode()


def test_a_key_from_the_create_api_key_command_can_file(client, form):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_api_key", "311 app", "--scope", "open311", stdout=out, stderr=StringIO())
    assert post(client, form | {"api_key": out.getvalue().strip()}).status_code == 201
    assert Complaint.objects.get().created_by.email == "311-app@services.invalid"


def test_an_uploaded_file_is_ignored_like_any_field_outside_the_spec(client, form):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    assert client.post(f"{URL}.json", form | {"media": upload}).status_code == 201
    assert "media" not in Complaint.objects.get().metadata["open311"]


@pytest.mark.parametrize(
    "change",
    [
        {"api_key": "grv_abc\x00.secret"},
        {"service_code": "pot\x00hole"},
        {"attribute[de\x00pth]": "1"},
        {"device_id": "\x00"},
        {f"attribute[a{n}]": "x" for n in range(1001)},  # more fields than Django reads
    ],
)
def test_null_characters_and_floods_of_fields_are_refused_not_a_500(client, form, change):
    response = post(client, form | change)
    assert response.status_code in (201, 400, 403), response.content
    if response.status_code != 201:
        assert response.json()[0]["code"] == response.status_code
        assert not Complaint.objects.exists()
    else:  # a NUL in an attribute's name: the attribute is not one, and is left out
        assert Complaint.objects.get().metadata["open311"]["attributes"] == {"depth": "30cm"}
