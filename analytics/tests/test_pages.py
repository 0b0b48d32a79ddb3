"""The staff dashboard and the public performance page: who may open them, what they show."""

import re

import pytest
from django.core.management import call_command


@pytest.fixture
def built(city):
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", "2026-12-31")
    return city


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("executive", 200),
        ("admin_user", 200),
        ("dispatcher", 200),
        ("manager_public_works", 200),
        ("officer_water", 200),
        ("citizen", 403),
        ("service_user", 403),
    ],
)
def test_dashboard_role_matrix(request, client, persona, expected, built):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/analytics/", {"since": "2026-01-01", "until": "2026-03-15"}).status_code == expected


def test_dashboard_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/analytics/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_dashboard_shows_the_api_figures_and_has_no_inline_script(client, auth_client, executive, built):
    client.force_login(executive)
    params = {"since": "2026-01-01", "until": "2026-03-15", "granularity": "week"}
    html = client.get("/analytics/", params).content.decode()
    kpis = auth_client(executive).get("/api/v1/analytics/kpis/", params).json()
    assert f'data-kpi="received">{kpis["received"]}<' in html
    assert f'data-kpi="resolved">{kpis["resolved"]}<' in html
    # Scripts only from static files; data only in JSON script tags.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'id="chart-data"' in html and 'id="map-data"' in html
    assert "cdn" not in html.lower()


def test_officer_dashboard_lists_only_their_department(client, officer_water, built):
    client.force_login(officer_water)
    html = client.get("/analytics/", {"since": "2026-01-01", "until": "2026-03-15"}).content.decode()
    team = html.split('id="team-departments"')[1].split("</table>")[0]
    assert "Water Supply" in team and "Roads" not in team


def test_bad_filters_on_the_dashboard_show_an_error_not_a_500(client, executive, built):
    client.force_login(executive)
    response = client.get("/analytics/", {"since": "nonsense", "source": "fax"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_dashboard_runs_a_fixed_number_of_queries(client, executive, built, django_assert_max_num_queries):
    client.force_login(executive)
    with django_assert_max_num_queries(25):
        client.get("/analytics/", {"since": "2025-10-01", "until": "2026-03-15"})


def test_public_page_needs_no_login_and_shows_no_personal_data(client, built, citizen, officer_roads):
    from complaints.models import Complaint

    response = client.get("/performance/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Roads" in html and "Wilson" in html
    reference = Complaint.objects.values_list("reference", flat=True).first()
    for private in (citizen.full_name, citizen.email, officer_roads.full_name, reference, "Ward 3: complaint"):
        assert private not in html


def test_admin_index_links_to_the_dashboard(client, executive, db):
    client.force_login(executive)
    assert 'href="/analytics/"' in client.get("/admin/").content.decode()
