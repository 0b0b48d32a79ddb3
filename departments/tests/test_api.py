import itertools

import pytest
from django.core.cache import cache

from departments.models import Category, ClosureReason, Department, SLAPolicy
from departments.tests.factories import (
    CategoryFactory,
    ClosureReasonFactory,
    DepartmentFactory,
    EscalationStepFactory,
    SLAPolicyFactory,
)

URLS = {
    "departments": "/api/v1/departments/",
    "categories": "/api/v1/categories/",
    "closure-reasons": "/api/v1/closure-reasons/",
    "sla-policies": "/api/v1/sla-policies/",
}
PERSONAS = ["anonymous", "citizen", "officer", "manager", "dispatcher", "executive", "admin", "service"]
PERSONA_FIXTURES = {
    "citizen": "citizen",
    "officer": "officer_roads",
    "manager": "manager_public_works",
    "dispatcher": "dispatcher",
    "executive": "executive",
    "admin": "admin_user",
    "service": "service_user",
}
STAFF = {"officer", "manager", "dispatcher", "executive", "admin"}


@pytest.fixture
def client_for(request, api_client, auth_client):
    def _client(persona: str):
        if persona == "anonymous":
            return api_client
        return auth_client(request.getfixturevalue(PERSONA_FIXTURES[persona]))

    return _client


@pytest.fixture
def reference(sla_default, category_potholes, closure_reason_duplicate, dept_roads, dept_lighting, dept_water):
    """A little of everything."""


def create_payload(endpoint: str, dept_roads, category_infrastructure) -> dict:
    return {
        "departments": {"code": "new-dept", "name": "New department", "parent": dept_roads.pk},
        "categories": {"code": "new-cat", "name": "New category", "parent": category_infrastructure.pk},
        "closure-reasons": {"code": "new_reason", "name": "New reason"},
        "sla-policies": {
            "department": dept_roads.pk,
            "hours_low": 100,
            "hours_medium": 50,
            "hours_high": 10,
            "hours_urgent": 2,
        },
    }[endpoint]


def expected_read(endpoint: str, persona: str) -> int:
    if endpoint != "sla-policies":
        return 200
    if persona == "anonymous":
        return 401
    return 200 if persona in STAFF else 403


def expected_write(persona: str) -> int:
    return {"anonymous": 401, "admin": 201}.get(persona, 403)


@pytest.mark.parametrize(("endpoint", "persona"), list(itertools.product(URLS, PERSONAS)))
def test_read_matrix(client_for, reference, endpoint, persona, dept_roads):
    client = client_for(persona)
    response = client.get(URLS[endpoint])
    assert response.status_code == expected_read(endpoint, persona), response.content
    if response.status_code == 200:
        first = response.json()[0]
        detail = client.get(f"{URLS[endpoint]}{first['id']}/")
        assert detail.status_code == 200
        assert detail.json()["id"] == first["id"]


@pytest.mark.parametrize(("endpoint", "persona"), list(itertools.product(URLS, PERSONAS)))
def test_write_matrix(client_for, reference, endpoint, persona, dept_roads, category_infrastructure):
    client = client_for(persona)
    model = {"departments": Department, "categories": Category, "closure-reasons": ClosureReason}.get(
        endpoint, SLAPolicy
    )
    before = model.objects.count()
    response = client.post(URLS[endpoint], create_payload(endpoint, dept_roads, category_infrastructure))
    assert response.status_code == expected_write(persona), response.content
    assert model.objects.count() == before + (1 if response.status_code == 201 else 0)

    obj_id = model.objects.order_by("pk").values_list("pk", flat=True).first()
    patch = client.patch(f"{URLS[endpoint]}{obj_id}/", {})
    assert patch.status_code == (200 if persona == "admin" else expected_write(persona))
    if persona != "admin":
        assert client.delete(f"{URLS[endpoint]}{obj_id}/").status_code == expected_write(persona)
        assert model.objects.filter(pk=obj_id).exists()


class TestDepartments:
    def test_flat_list_ordered_by_path(self, api_client, reference, dept_corporation):
        rows = api_client.get(URLS["departments"]).json()
        assert [r["code"] for r in rows] == [
            "municipal-corporation",
            "public-works",
            "roads",
            "street-lighting",
            "water-supply",
        ]
        roads = rows[2]
        assert roads["path"] == "Municipal Corporation / Public Works / Roads"
        assert roads["parent"] == rows[1]["id"]
        assert roads["max_escalation_level"] == 3
        assert [step["hours"] for step in roads["escalation_policy"]] == [72, 48, 24]
        assert "children" not in roads

    def test_tree(self, api_client, reference):
        tree = api_client.get(URLS["departments"], {"tree": "1"}).json()
        assert [node["code"] for node in tree] == ["municipal-corporation"]
        corporation = tree[0]
        assert [c["code"] for c in corporation["children"]] == ["public-works", "water-supply"]
        public_works = corporation["children"][0]
        assert [c["code"] for c in public_works["children"]] == ["roads", "street-lighting"]
        assert public_works["children"][0]["children"] == []

    def test_filters(self, api_client, reference, dept_public_works, dept_water):
        codes = lambda **params: [r["code"] for r in api_client.get(URLS["departments"], params).json()]  # noqa: E731
        assert codes(parent=dept_public_works.pk) == ["roads", "street-lighting"]
        Department.objects.filter(pk=dept_water.pk).update(is_active=False)
        cache.clear()
        assert codes(is_active="false") == ["water-supply"]
        assert "water-supply" not in codes(is_active="true")
        assert codes(q="light") == ["street-lighting"]
        assert codes(q="PUBLIC works") == ["public-works", "roads", "street-lighting"]  # the path matches too

    def test_filtered_tree_promotes_orphans_to_roots(self, api_client, reference):
        tree = api_client.get(URLS["departments"], {"tree": "1", "q": "public works"}).json()
        assert [node["code"] for node in tree] == ["public-works"]
        assert [c["code"] for c in tree[0]["children"]] == ["roads", "street-lighting"]

    def test_unknown_parent_filter_is_400(self, api_client, reference):
        response = api_client.get(URLS["departments"], {"parent": 999_999})
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"

    def test_manager_is_shown_to_staff_only(self, api_client, auth_client, reference, manager_public_works, citizen):
        url = f"{URLS['departments']}{manager_public_works.department_id}/"
        assert "manager" not in api_client.get(url).json()
        assert "manager" not in auth_client(citizen).get(url).json()
        assert auth_client(manager_public_works).get(url).json()["manager"] == manager_public_works.pk

    def test_admin_creates_with_escalation_policy(self, auth_client, admin_user, dept_roads):
        response = auth_client(admin_user).post(
            URLS["departments"],
            {
                "code": "potholes-squad",
                "name": "Pothole Squad",
                "parent": dept_roads.pk,
                "contact_email": "squad@example.org",
                "escalation_policy": [{"hours": 12}, {"hours": 6, "notify_executives": True}],
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["path"] == "Municipal Corporation / Public Works / Roads / Pothole Squad"
        assert body["max_escalation_level"] == 2
        squad = Department.objects.get(code="potholes-squad")
        assert squad.escalation_hours(2) == 6 and squad.escalation_rule(2).notify_executives

    def test_admin_moves_a_department(self, auth_client, admin_user, dept_lighting, dept_water):
        response = auth_client(admin_user).patch(f"{URLS['departments']}{dept_lighting.pk}/", {"parent": dept_water.pk})
        assert response.status_code == 200
        assert response.json()["path"] == "Municipal Corporation / Water Supply / Street Lighting"

    def test_cycle_via_api_is_400(self, auth_client, admin_user, dept_corporation, dept_roads):
        client = auth_client(admin_user)
        response = client.patch(f"{URLS['departments']}{dept_corporation.pk}/", {"parent": dept_roads.pk})
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert "cycle" in body["errors"]["parent"][0]
        self_parent = client.patch(f"{URLS['departments']}{dept_roads.pk}/", {"parent": dept_roads.pk})
        assert self_parent.status_code == 400
        assert self_parent.json()["errors"]["parent"] == ["A department cannot be its own parent."]

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"code": "x", "name": "X", "parent": 999_999}, "parent"),
            ({"code": "roads", "name": "Duplicate code"}, "code"),
            ({"code": "not a slug", "name": "X"}, "code"),
            ({"code": "x", "name": "X", "contact_email": "nope"}, "contact_email"),
            ({"code": "x", "name": "X", "contact_phone": "call me"}, "contact_phone"),
            ({"code": "x", "name": "X", "escalation_policy": [{"level": 2, "hours": 5}]}, "escalation_policy"),
            ({"code": "x", "name": "X", "escalation_policy": [{"hours": 0}]}, "escalation_policy"),
        ],
    )
    def test_bad_input_is_400(self, auth_client, admin_user, dept_roads, payload, field):
        response = auth_client(admin_user).post(URLS["departments"], payload)
        assert response.status_code == 400, response.content
        assert field in response.json()["errors"]
        assert not Department.objects.filter(code="x").exists()

    def test_manager_must_be_a_manager(self, auth_client, admin_user, dept_roads, officer_roads):
        response = auth_client(admin_user).patch(
            f"{URLS['departments']}{dept_roads.pk}/", {"manager": officer_roads.pk}
        )
        assert response.status_code == 400
        assert "manager" in response.json()["errors"]

    def test_delete_unused_and_used(self, auth_client, admin_user, dept_public_works, dept_roads, officer_roads):
        client = auth_client(admin_user)
        spare = DepartmentFactory(parent=dept_roads)
        assert client.delete(f"{URLS['departments']}{spare.pk}/").status_code == 204
        for used in (dept_public_works, dept_roads):  # has children; has staff
            response = client.delete(f"{URLS['departments']}{used.pk}/")
            assert response.status_code == 409
            assert response.json()["code"] == "conflict"
            assert Department.objects.filter(pk=used.pk).exists()

    def test_unknown_id_is_404(self, api_client, db):
        assert api_client.get(f"{URLS['departments']}999999/").status_code == 404
        assert api_client.get(f"{URLS['departments']}abc/").status_code == 404


class TestCategories:
    def test_top_level_with_subcategories(self, api_client, reference, category_water_leak):
        rows = api_client.get(URLS["categories"]).json()
        assert [r["code"] for r in rows] == ["infrastructure"]
        infrastructure = rows[0]
        assert infrastructure["default_department_code"] == "public-works"
        subs = {s["code"]: s for s in infrastructure["subcategories"]}
        assert set(subs) == {"potholes", "water-leak"}
        assert subs["potholes"]["default_department_code"] == "roads"
        assert subs["potholes"]["parent"] == infrastructure["id"]
        assert subs["potholes"]["default_priority"] == "medium"

    def test_hindi_label(self, api_client, reference):
        english = api_client.get(URLS["categories"]).json()[0]
        hindi = api_client.get(URLS["categories"], HTTP_ACCEPT_LANGUAGE="hi").json()[0]
        assert english["label"] == "Infrastructure"
        assert hindi["label"] == "बुनियादी ढांचा"
        assert hindi["subcategories"][0]["label"] == "सड़क में गड्ढे"

    def test_active_filter_applies_to_subcategories(self, api_client, reference, category_water_leak):
        Category.objects.filter(pk=category_water_leak.pk).update(is_active=False)
        CategoryFactory(code="retired", is_active=False)
        cache.clear()
        active = api_client.get(URLS["categories"], {"is_active": "true"}).json()
        assert [r["code"] for r in active] == ["infrastructure"]
        assert [s["code"] for s in active[0]["subcategories"]] == ["potholes"]
        inactive = api_client.get(URLS["categories"], {"is_active": "false"}).json()
        assert [r["code"] for r in inactive] == ["retired"]

    def test_subcategory_detail(self, api_client, reference, category_potholes):
        body = api_client.get(f"{URLS['categories']}{category_potholes.pk}/").json()
        assert body["code"] == "potholes" and body["subcategories"] == []

    def test_only_one_level_of_subcategories(self, auth_client, admin_user, category_potholes):
        response = auth_client(admin_user).post(
            URLS["categories"], {"code": "deep", "name": "Too deep", "parent": category_potholes.pk}
        )
        assert response.status_code == 400
        assert "parent" in response.json()["errors"]

    def test_category_with_subcategories_cannot_become_one(self, auth_client, admin_user, reference):
        other = CategoryFactory(code="other")
        infrastructure = Category.objects.get(code="infrastructure")
        response = auth_client(admin_user).patch(f"{URLS['categories']}{infrastructure.pk}/", {"parent": other.pk})
        assert response.status_code == 400
        assert "parent" in response.json()["errors"]

    def test_delete_category_with_subcategories_is_409(self, auth_client, admin_user, reference):
        infrastructure = Category.objects.get(code="infrastructure")
        assert auth_client(admin_user).delete(f"{URLS['categories']}{infrastructure.pk}/").status_code == 409


class TestSlaPolicies:
    def test_list(self, auth_client, officer_roads, reference, dept_roads):
        SLAPolicyFactory(department=dept_roads, hours_urgent=2)
        rows = auth_client(officer_roads).get(URLS["sla-policies"]).json()
        assert rows[0]["is_default"] is True
        assert rows[1]["department_code"] == "roads" and rows[1]["category_code"] is None

    def test_duplicate_scope_is_400(self, auth_client, admin_user, reference, dept_roads):
        client = auth_client(admin_user)
        payload = {"department": dept_roads.pk, "hours_low": 9, "hours_medium": 8, "hours_high": 7, "hours_urgent": 6}
        assert client.post(URLS["sla-policies"], payload).status_code == 201
        response = client.post(URLS["sla-policies"], payload)
        assert response.status_code == 400
        second_default = client.post(URLS["sla-policies"], {**payload, "department": None})
        assert second_default.status_code == 400

    def test_hours_in_the_wrong_order_are_400(self, auth_client, admin_user, reference, dept_roads):
        payload = {"department": dept_roads.pk, "hours_low": 1, "hours_medium": 8, "hours_high": 7, "hours_urgent": 6}
        assert auth_client(admin_user).post(URLS["sla-policies"], payload).status_code == 400

    def test_default_cannot_be_deleted_or_scoped(self, auth_client, admin_user, reference, dept_roads):
        client = auth_client(admin_user)
        default = SLAPolicy.objects.get(is_default=True)
        assert client.delete(f"{URLS['sla-policies']}{default.pk}/").status_code == 409
        assert client.patch(f"{URLS['sla-policies']}{default.pk}/", {"department": dept_roads.pk}).status_code == 400
        assert client.patch(f"{URLS['sla-policies']}{default.pk}/", {"hours_urgent": 4}).status_code == 200
        override = SLAPolicyFactory(department=dept_roads)
        assert client.delete(f"{URLS['sla-policies']}{override.pk}/").status_code == 204


class TestClosureReasons:
    def test_list_in_order(self, api_client, closure_reason_duplicate, closure_reason_spam):
        ClosureReasonFactory(code="resolved", name="Resolved", ordering=10)
        assert [r["code"] for r in api_client.get(URLS["closure-reasons"]).json()] == ["resolved", "duplicate", "spam"]


class TestQueryCounts:
    """Lists run a fixed number of queries whatever the number of rows; cached reads run none."""

    @staticmethod
    def grow(round_: int, dept_roads, category_infrastructure):
        for i in range(5):
            department = DepartmentFactory(code=f"grow-{round_}-{i}", parent=dept_roads)
            EscalationStepFactory(department=department, level=1)
            CategoryFactory(code=f"grow-{round_}-{i}", parent=category_infrastructure, default_department=department)
            CategoryFactory(code=f"top-{round_}-{i}", default_department=department)
            ClosureReasonFactory(code=f"grow_{round_}_{i}")
            SLAPolicyFactory(department=department)

    @pytest.mark.parametrize(
        ("endpoint", "params", "queries"),
        [
            ("departments", {}, 2),
            ("departments", {"tree": "1"}, 2),
            ("departments", {"parent": "PARENT"}, 3),  # + validating the parent id
            ("categories", {}, 2),
            ("categories", {"is_active": "true"}, 2),
            ("closure-reasons", {}, 1),
        ],
    )
    def test_public_lists(
        self,
        api_client,
        django_assert_num_queries,
        reference,
        dept_roads,
        category_infrastructure,
        endpoint,
        params,
        queries,
    ):
        params = {k: (dept_roads.pk if v == "PARENT" else v) for k, v in params.items()}
        for round_ in range(2):
            self.grow(round_, dept_roads, category_infrastructure)
            cache.clear()
            with django_assert_num_queries(queries):
                assert api_client.get(URLS[endpoint], params).status_code == 200
            with django_assert_num_queries(0):  # from the cache
                assert api_client.get(URLS[endpoint], params).status_code == 200

    def test_sla_policies(
        self, auth_client, executive, django_assert_num_queries, reference, dept_roads, category_infrastructure
    ):
        client = auth_client(executive)
        for round_ in range(2):
            self.grow(round_, dept_roads, category_infrastructure)
            with django_assert_num_queries(2):  # the user (JWT) + the policies
                assert len(client.get(URLS["sla-policies"]).json()) > 1


class TestCache:
    def test_reads_are_cached(self, api_client, reference, dept_roads):
        assert api_client.get(URLS["departments"]).status_code == 200
        Department.objects.filter(pk=dept_roads.pk).update(name="Renamed behind the cache's back")
        names = [r["name"] for r in api_client.get(URLS["departments"]).json()]
        assert "Renamed behind the cache's back" not in names

    @pytest.mark.parametrize("endpoint", ["departments", "categories", "closure-reasons"])
    def test_any_change_clears_the_cache(self, api_client, reference, dept_roads, category_potholes, endpoint):
        first = api_client.get(URLS[endpoint]).json()
        assert api_client.get(URLS[endpoint]).json() == first  # cached
        if endpoint == "departments":
            dept_roads.name = "Roads and Bridges"
            dept_roads.save()
            changed = lambda rows: any(r["name"] == "Roads and Bridges" for r in rows)  # noqa: E731
        elif endpoint == "categories":
            category_potholes.name = "Potholes and cracks"
            category_potholes.save()
            changed = lambda rows: rows[0]["subcategories"][0]["name"] == "Potholes and cracks"  # noqa: E731
        else:
            ClosureReasonFactory(code="withdrawn")
            changed = lambda rows: any(r["code"] == "withdrawn" for r in rows)  # noqa: E731
        assert changed(api_client.get(URLS[endpoint]).json())

    def test_escalation_policy_change_clears_the_cache(self, api_client, auth_client, admin_user, dept_roads):
        url = f"{URLS['departments']}{dept_roads.pk}/"
        assert api_client.get(url).json()["max_escalation_level"] == 3
        auth_client(admin_user).patch(url, {"escalation_policy": [{"hours": 5}]})
        assert api_client.get(url).json()["max_escalation_level"] == 1

    def test_api_write_clears_the_cache(self, api_client, auth_client, admin_user, reference):
        assert len(api_client.get(URLS["closure-reasons"]).json()) == 1
        auth_client(admin_user).post(URLS["closure-reasons"], {"code": "spam", "name": "Spam"})
        assert len(api_client.get(URLS["closure-reasons"]).json()) == 2

    def test_staff_and_public_answers_are_cached_apart(self, api_client, auth_client, manager_public_works):
        url = f"{URLS['departments']}{manager_public_works.department_id}/"
        assert "manager" in auth_client(manager_public_works).get(url).json()
        assert "manager" not in api_client.get(url).json()


def test_schema_lists_the_endpoints(api_client, db):
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for url in URLS.values():
        assert url in paths
        assert f"{url}{{id}}/" in paths


def test_service_with_an_api_key_reads_categories_but_not_sla_policies(api_client, reference, service_user):
    """The AI service calls with `Authorization: Api-Key ...`: it needs the categories to classify."""
    from accounts.services import api_key_create

    _key, plaintext = api_key_create(name="AI intake", owner=service_user, scopes=["intake"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    categories = api_client.get(URLS["categories"])
    assert categories.status_code == 200
    assert categories.json()[0]["subcategories"][0]["default_department_code"] == "roads"
    assert api_client.get(URLS["sla-policies"]).status_code == 403
    assert api_client.post(URLS["closure-reasons"], {"code": "x", "name": "X"}).status_code == 403
