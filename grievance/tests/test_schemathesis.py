"""Schemathesis over the whole OpenAPI schema, once per role: no request, valid or not, may give a
server error (5xx) or a response that contradicts the schema.

Bounded in time for CI: a fixed number of generated requests per operation (valid ones and
deliberately invalid ones), a fixed seed (the same requests every run), generated once and replayed
for every role, no shrinking, no stateful phase. `SCHEMATHESIS_EXAMPLES=20` makes a deeper local run.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.models import Role
from accounts.services import api_key_create
from accounts.tests.factories import UserFactory
from complaints.tests.factories import file_complaint

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
SEED = 20261129
CHECKS = [not_a_server_error, response_schema_conformance]
ROLES = ["anonymous", "citizen", "officer", "manager", "admin", "api_key_intake"]
# Known and reported to the lead (complaints/api/serializers.py is not ours to edit in this change):
# read-only relations that are null on a complaint without them (no category yet, not closed, not a
# duplicate) are documented as plain strings. Fix: `allow_null=True` on those fields of
# ComplaintListSerializer, ComplaintDetailSerializer and PublicComplaintSerializer; then delete this.
@pytest.fixture(scope="module")
def api_schema(django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def keep_db_connection():
    """As Django's test client does: a request through the WSGI app must not close the test's database
    connection (and with it the transaction that holds the seeded data) when it finishes."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(
    keep_db_connection,
    settings,
    citizen,
    other_citizen,
    officer_roads,
    manager_public_works,
    admin_user,
    dispatcher,
    category_infrastructure,
    category_potholes,
    sla_default,
    closure_reason_duplicate,
):
    """A small world: each role has something of its own to read and act on."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    complaints = [
        file_complaint(citizen, title=f"Pothole {n}", category=category_infrastructure, subcategory=category_potholes)
        for n in range(2)
    ]
    file_complaint(other_citizen, title="Leak", category=category_infrastructure, subcategory=category_potholes)
    service = UserFactory(role=Role.SERVICE, phone=None)
    _key, plaintext = api_key_create(name="AI intake", owner=service, scopes=["intake"])

    def bearer(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}

    # Random ids mostly meet 404s: each valid request on /<collection>/{id}/... is also sent with the
    # id of a real object, so serializers of existing objects are checked too.
    real_ids = {
        "complaints": complaints[0].pk,
        "users": citizen.pk,
        "departments": officer_roads.department_id,
        "categories": category_potholes.pk,
        "closure-reasons": closure_reason_duplicate.pk,
        "sla-policies": sla_default.pk,
    }
    roles = {
        "anonymous": {},
        "citizen": bearer(citizen),
        "officer": bearer(officer_roads),
        "manager": bearer(manager_public_works),
        "admin": bearer(admin_user),
        "api_key_intake": {"Authorization": f"Api-Key {plaintext}"},
    }
    return {"roles": roles, "real_ids": real_ids, "reference": complaints[0].reference}


# (operation, generation mode) -> the generated cases with their own headers. With a fixed seed every
# role would generate exactly the same requests, so they are generated once and replayed per role.
_CASES: dict[tuple[str, str], list[tuple[Case, dict]]] = {}


def _cases(operation, mode: GenerationMode) -> list[tuple[Case, dict]]:
    key = (operation.label, mode.value)
    if key not in _CASES:
        drawn: list[tuple[Case, dict]] = []

        @seed(SEED)
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def collect(case):
            drawn.append((case, dict(case.headers or {})))

        try:
            collect()
        except Unsatisfiable:
            # No request of this kind exists (e.g. no invalid request for an operation without
            # parameters or body): nothing to test.
            pass
        _CASES[key] = drawn
    return _CASES[key]


def _path_variants(operation, mode: GenerationMode, world: dict | None) -> list[dict | None]:
    """Path parameters to send each case with: as generated, plus real ones for valid requests."""
    variants: list[dict | None] = [None]
    if world is None or mode is not GenerationMode.POSITIVE:
        return variants
    collection = operation.path.removeprefix("/api/v1/").split("/")[0]
    if "{id}" in operation.path and collection in world["real_ids"]:
        variants.append({"id": world["real_ids"][collection]})
    if "{reference}" in operation.path:
        variants.append({"reference": world["reference"]})
    if "{complaint}" in operation.path:
        variants.append({"complaint": world["real_ids"]["complaints"]})
    return variants


def _run(operation, mode: GenerationMode, headers: dict[str, str], failures: list[str], world=None) -> None:
    for case, generated_headers in _cases(operation, mode):
        generated_path = dict(case.path_parameters or {})
        for path_parameters in _path_variants(operation, mode, world):
            case.path_parameters = {**generated_path, **(path_parameters or {})}
            # The role's credentials replace whatever the generator put in Authorization.
            case.headers = {**generated_headers, **headers}
            if not headers:
                case.headers.pop("Authorization", None)
            response = case.call()
            try:
                case.validate_response(response, checks=CHECKS)
            except (FailureGroup, Failure) as found:
                problems = found.exceptions if isinstance(found, FailureGroup) else [found]
                if not problems:
                    continue
                details = " | ".join(f"{p.title}: {' '.join(str(p.message).split())[:300]}" for p in problems)
                failures.append(
                    f"{mode.value} {case.method} {case.formatted_path} -> {response.status_code}: {details}"
                )
        case.path_parameters = generated_path


def _operations(api_schema) -> list:
    operations = []
    for result in api_schema.get_all_operations():
        operations.append(result.ok())
    return operations


@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_no_schema_violation(api_schema, seeded, role):
    failures: list[str] = []
    headers = seeded["roles"][role]
    operations = _operations(api_schema)
    assert len(operations) > 50  # the whole API, not a filtered corner
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, headers, failures, world=seeded)
    assert failures == [], f"{role}: {len(failures)} failures\n" + "\n".join(failures)


def test_the_checks_catch_a_server_error(api_schema, seeded, monkeypatch):
    """The harness itself: an endpoint that crashes is reported, not swallowed."""
    from departments.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.DepartmentViewSet, "list", boom)
    failures: list[str] = []
    operation = api_schema["/api/v1/departments/"]["GET"]
    _run(operation, GenerationMode.POSITIVE, seeded["roles"]["admin"], failures)
    assert failures and "500" in failures[0]


