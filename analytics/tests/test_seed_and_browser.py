"""The demo history seed, and the dashboard in a real browser."""

import pytest
from django.core.management import call_command

from accounts.tests.factories import TEST_PASSWORD
from analytics.history import HISTORY_PREFIX
from analytics.models import DailySummary
from analytics.seed import seed_demo_history
from complaints.models import Complaint


def log_in(browser, base_url: str, user) -> None:
    """Sign in through the admin's login form, as a person would."""
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(f"{base_url}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(user.email)
    browser.find_element(By.ID, "id_password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    browser.find_element(By.ID, "analytics-link")


def test_demo_history_is_written_once_and_summarised(citizen, dispatcher, officer_roads, dept_roads):
    from departments.tests.factories import CategoryFactory

    CategoryFactory(code="roads-cat", name="Roads", default_department=dept_roads)
    first = seed_demo_history(count=300, days=365)
    assert first["created"] == 300 and first["summary_rows"] > 0
    rows = DailySummary.objects.count()
    again = seed_demo_history(count=300, days=365)
    assert again["created"] == 0
    assert Complaint.objects.filter(reference__startswith=HISTORY_PREFIX).count() == 300
    assert DailySummary.objects.count() == rows
    months = {day.replace(day=1) for day in DailySummary.objects.filter(received__gt=0).values_list("day", flat=True)}
    assert len(months) >= 12, "a year of history: every month has complaints"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_renders_charts_and_map_and_filters_work(live_server, browser, executive, city, settings):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    # Tiles from the test server itself: the map must render without any outside network.
    settings.MAP_TILE_URL = live_server.url + "/static/vendor/leaflet/images/layers.png?{z}/{x}/{y}"
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", "2026-12-31")
    log_in(browser, live_server.url, executive)

    browser.get(live_server.url + "/analytics/?since=2026-01-01&until=2026-03-15&granularity=week")
    wait = WebDriverWait(browser, 10)
    wait.until(lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-charts-ready") == "2")
    assert browser.execute_script("return Chart.getChart('trend-chart').data.labels.length") >= 10
    wait.until(lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-map-cells"))
    assert browser.find_element(By.ID, "map").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")
    everyone = int(browser.find_element(By.CSS_SELECTOR, '[data-kpi="received"]').text)

    Select(browser.find_element(By.NAME, "priority")).select_by_value("high")
    browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait.until(lambda driver: "priority=high" in driver.current_url)
    wait.until(lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-charts-ready") == "2")
    high = int(browser.find_element(By.CSS_SELECTOR, '[data-kpi="received"]').text)
    assert 0 < high < everyone


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_without_tiles_shows_the_ward_table(live_server, browser, executive, city, settings):
    from selenium.webdriver.common.by import By

    settings.MAP_TILE_URL = ""
    call_command("rebuild_analytics", "--since", "2025-10-01", "--until", "2026-12-31")
    log_in(browser, live_server.url, executive)
    browser.get(live_server.url + "/analytics/?since=2026-01-01&until=2026-03-15")
    assert not browser.find_element(By.ID, "map").is_displayed()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#ward-table tbody tr")) >= 10
