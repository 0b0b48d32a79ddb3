"""The analytics API: who may read it, what each reader sees, bad input, and fixed query counts."""

import datetime as dt

import pytest
from django.core.management import call_command

from accounts.services import api_key_create
from analytics.tests import oracle

ENDPOINTS = ["kpis", "trends", "team", "heatmap", "rankings"]
PERIOD = {"since": "2026-01-01", "until": "2026-03-15"}


@pytest.fixture
def summaries_built(city):
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", str(dt.date.today()))
    return city


def _url(endpoint: str) -> str:
    return f"/api/v1/analytics/{endpoint}/"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "persona,expected",
    [
        ("executive", 200),
        ("admin_user", 200),
        ("dispatcher", 200),
        ("manager_public_works", 200),
        ("officer_roads", 200),
        ("citizen", 403),
        ("service_user", 403),
    ],
)
def test_role_matrix(request, auth_client, endpoint, persona, expected, summaries_built):
    user = request.getfixturevalue(persona)
    assert auth_client(user).get(_url(endpoint), PERIOD).status_code == expected


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_api_keys_and_anonymous_callers_are_refused(api_client, service_user, endpoint, db):
    assert api_client.get(_url(endpoint)).status_code == 401
    _, plaintext = api_key_create(name="bot", owner=service_user, scopes=["intake"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {plaintext}")
    assert api_client.get(_url(endpoint)).status_code == 403


def test_manager_sees_only_their_subtree(auth_client, manager_public_works, executive, summaries_built):
    from complaints.models import Complaint

    subtree = [
        manager_public_works.department_id,
        *manager_public_works.department.children.values_list("pk", flat=True),
    ]
    mine = auth_client(manager_public_works).get(_url("kpis"), PERIOD).json()
    expected = oracle.figures(
        Complaint.objects.filter(department__in=subtree), dt.date(2026, 1, 1), dt.date(2026, 3, 15)
    )
    assert mine["received"] == expected["received"] > 0
    assert mine["received"] < auth_client(executive).get(_url("kpis"), PERIOD).json()["received"]
    team = auth_client(manager_public_works).get(_url("team"), PERIOD).json()
    assert {row["department"] for row in team["departments"]} <= {"Public Works", "Roads", "Street Lighting"}
    assert "Water Supply" not in {row["department"] for row in team["officers"]}
    ranked = auth_client(manager_public_works).get(_url("rankings"), PERIOD).json()
    assert "Water Supply" not in {row["department"] for row in ranked["sla_compliance"]}


def test_kpis_answer_the_filters(auth_client, executive, summaries_built):
    from complaints.models import Complaint

    body = auth_client(executive).get(_url("kpis"), {**PERIOD, "ward": "Ward 3", "priority": "high"}).json()
    expected = oracle.figures(
        Complaint.objects.filter(ward="Ward 3", priority="high"), dt.date(2026, 1, 1), dt.date(2026, 3, 15)
    )
    assert body["received"] == expected["received"] > 0
    assert body["resolved"] == expected["resolved"]


def test_trends_by_week_cover_the_period_and_the_previous_one(auth_client, executive, summaries_built):
    body = auth_client(executive).get(_url("trends"), {**PERIOD, "granularity": "week"}).json()
    assert body["current"][0]["period"] == "2025-12-29"  # the Monday of the week of 1 January
    assert body["previous_until"] == "2025-12-31"
    assert len(body["previous"]) >= 10
    kpis = auth_client(executive).get(_url("kpis"), PERIOD).json()
    assert sum(point["received"] for point in body["current"]) == kpis["received"]


def test_rankings_state_the_method_and_sample_sizes(auth_client, executive, summaries_built):
    body = auth_client(executive).get(_url("rankings"), PERIOD).json()
    assert "Wilson" in body["method"]
    ranked = [row for row in body["sla_compliance"] if row["rank"]]
    assert ranked and all(row["sample"] > 0 for row in ranked)
    bounds = [row["lower_bound"] for row in ranked]
    assert bounds == sorted(bounds, reverse=True)


def test_heatmap_counts_located_complaints_by_cell_and_ward(auth_client, executive, summaries_built):
    body = auth_client(executive).get(_url("heatmap"), PERIOD).json()
    kpis = auth_client(executive).get(_url("kpis"), PERIOD).json()
    assert sum(cell["count"] for cell in body["cells"]) == kpis["received"]
    assert sum(ward["received"] for ward in body["wards"]) == kpis["received"]
    assert body["wards"][0]["ward"] in ("Ward 3", "Ward 7")  # the generated hotspots


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-02-01", "until": "2026-01-01"},
        {"since": "not-a-date"},
        {"since": "2020-01-01", "until": "2026-01-01"},
        {"source": "fax"},
        {"priority": "whenever"},
        {"department": "roads"},
        {"granularity": "hour"},
    ],
)
def test_bad_filters_are_a_400_not_a_500(auth_client, executive, params, db):
    endpoint = "trends" if "granularity" in params else "kpis"
    response = auth_client(executive).get(_url(endpoint), params)
    assert response.status_code == 400


@pytest.mark.parametrize("endpoint,queries", [("kpis", 5), ("trends", 2), ("team", 6), ("heatmap", 3), ("rankings", 3)])
@pytest.mark.parametrize("persona,extra", [("executive", 0), ("manager_public_works", 2)])
def test_query_counts_are_fixed(
    request, auth_client, django_assert_max_num_queries, endpoint, queries, persona, extra, summaries_built
):
    client = auth_client(request.getfixturevalue(persona))
    # The JWT user lookup and the selector's queries; for a manager also the department tree, read
    # once for the summaries' scope and once by visible_to. The period's length changes nothing.
    with django_assert_max_num_queries(queries + extra):
        response = client.get(_url(endpoint), {"since": "2025-10-01", "until": "2026-03-15"})
    assert response.status_code == 200
