"""End to end in a real headless Chromium: a dispatcher triages a new complaint in the admin and the
roads officer works and resolves it, each logged in with email and password."""

import tempfile
from pathlib import Path

import pytest

from accounts.tests.factories import TEST_PASSWORD
from complaints.models import ComplaintEvent, Status
from complaints.tests.factories import file_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, base_url: str, user) -> None:
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(f"{base_url}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(user.email)
    browser.find_element(By.ID, "id_password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert browser.find_element(By.ID, "dashboard").is_displayed()


def success_messages(browser) -> list[str]:
    from selenium.webdriver.common.by import By

    return [li.text for li in browser.find_elements(By.CSS_SELECTOR, "ul.messagelist li.success")]


def test_dispatcher_triages_and_officer_resolves_in_the_admin(
    browser, live_server, citizen, dispatcher, officer_roads, dept_roads, sla_default
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    complaint = file_complaint(citizen, title="Broken kerb near the school")
    change_page = f"{live_server.url}/admin/complaints/complaint/{complaint.pk}/change/"
    try:
        # The dispatcher opens the new complaint and triages it with the action form.
        log_in(browser, live_server.url, dispatcher)
        browser.get(change_page)
        assert complaint.reference in browser.find_element(By.ID, "content").text
        browser.find_element(By.ID, "workflow-triage_complaints").click()
        Select(browser.find_element(By.ID, "id_department")).select_by_value(str(dept_roads.pk))
        Select(browser.find_element(By.ID, "id_priority")).select_by_value("high")
        Select(browser.find_element(By.ID, "id_assignee")).select_by_value(str(officer_roads.pk))
        browser.find_element(By.NAME, "_apply").click()
        assert f"{complaint.reference}: triaged" in success_messages(browser)
        assert browser.current_url == change_page

        # The roads officer takes it up and resolves it with a note.
        log_in(browser, live_server.url, officer_roads)
        browser.get(change_page)
        browser.find_element(By.ID, "workflow-start_complaints").click()
        assert f"{complaint.reference}: started" in success_messages(browser)
        browser.find_element(By.ID, "workflow-resolve_complaints").click()
        browser.find_element(By.ID, "id_note").send_keys("Kerb rebuilt and painted.")
        browser.find_element(By.NAME, "_apply").click()
        assert f"{complaint.reference}: resolved" in success_messages(browser)
        assert "Kerb rebuilt and painted." in browser.find_element(By.ID, "content").text
    except Exception:
        shot = Path(tempfile.mkdtemp(prefix="admin-browser-")) / "failure.png"
        browser.save_screenshot(str(shot))
        print(f"screenshot of the failure: {shot}")
        raise

    complaint.refresh_from_db()
    assert (complaint.status, complaint.department, complaint.priority, complaint.assignee) == (
        Status.RESOLVED,
        dept_roads,
        "high",
        officer_roads,
    )
    assert complaint.resolution_note == "Kerb rebuilt and painted."
    timeline = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("action", "actor_id", "to_status"))
    assert timeline == [
        ("created", citizen.pk, Status.NEW),
        ("triage", dispatcher.pk, Status.TRIAGED),
        ("start", officer_roads.pk, Status.IN_PROGRESS),
        ("resolve", officer_roads.pk, Status.RESOLVED),
    ]
