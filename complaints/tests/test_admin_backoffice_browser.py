"""The back office walked in Debian's headless chromium at 1366x768, the common office laptop: a
dispatcher triages (department defaulted, assignees following the department), the roads officer
starts and resolves, and the Public Works manager approves an escalation request from its own page.
Screenshots of each step go to var/screenshots/ (gitignored)."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.tests.factories import TEST_PASSWORD
from complaints import services
from complaints.models import ComplaintEvent, EscalationRequest, Status
from complaints.tests.factories import file_complaint, in_progress_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
LAPTOP = (1366, 768)


def by():
    from selenium.webdriver.common.by import By

    return By


def wait_for(browser, condition, timeout=20):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.wait import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, ignored_exceptions=ignored).until(condition)


def set_viewport(browser, size):
    width, height = size
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def shoot(browser, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))


def log_in(browser, base_url: str, user) -> None:
    By = by()
    browser.delete_all_cookies()
    browser.get(f"{base_url}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(user.email)
    browser.find_element(By.ID, "id_password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda b: b.find_element(By.ID, "dashboard"))


def success_messages(browser) -> list[str]:
    return [li.text for li in browser.find_elements(by().CSS_SELECTOR, "ul.messagelist li.success")]


def tiles(browser) -> dict[str, str]:
    return {li.get_attribute("class"): li.text for li in browser.find_elements(by().CSS_SELECTOR, "#dashboard li")}


def option_values(select) -> list[str]:
    return [o.get_attribute("value") for o in select.find_elements(by().TAG_NAME, "option") if o.get_attribute("value")]


def on_first_screen(browser, element) -> bool:
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight;", element
    )


@pytest.fixture
def queue(citizen, other_citizen, category_potholes, sla_default):
    """A realistic queue: twenty open potholes besides the one the dispatcher works on."""
    for n in range(20):
        file_complaint(
            other_citizen, title=f"Pothole number {n} on a long street name", category=category_potholes.parent
        )


@pytest.fixture
def pothole_with_photo(citizen, category_infrastructure, category_potholes, sla_default):
    complaint = file_complaint(
        citizen,
        title="Deep pothole at the school gate",
        description="The pothole at the school gate is half a metre wide; children step around it into traffic.",
        category=category_infrastructure,
        subcategory=category_potholes,
        latitude="28.613900",
        longitude="77.209000",
        address="School gate, MG Road",
    )
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), "gray").save(buffer, format="JPEG")
    upload = SimpleUploadedFile("gate.jpg", buffer.getvalue(), content_type="image/jpeg")
    services.attachment_add(complaint=complaint, uploaded_by=citizen, upload=upload)
    return complaint


def test_staff_triage_resolve_and_approve_an_escalation_request_at_1366(
    browser,
    live_server,
    settings,
    citizen,
    dispatcher,
    officer_roads,
    officer_water,
    manager_public_works,
    dept_roads,
    dept_water,
    category_potholes,
    queue,
    pothole_with_photo,
):
    By = by()
    from selenium.webdriver.support.select import Select

    # Tiles from this server, so the map draws with no outside calls.
    settings.MAP_TILE_URL = "/static/img/favicon.svg?z={z}&x={x}&y={y}"
    settings.MAP_TILE_ATTRIBUTION = "Test tiles"
    base = live_server.url
    complaint = pothole_with_photo
    change_page = f"{base}/admin/complaints/complaint/{complaint.pk}/change/"
    stuck = in_progress_complaint(citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads)
    escalation_request = services.escalation_request_create(
        complaint=stuck, requested_by=citizen, reason="Nothing has happened for a month."
    )
    set_viewport(browser, LAPTOP)

    # 1. The dispatcher's dashboard: the tiles a dispatcher acts on, none that they cannot.
    log_in(browser, base, dispatcher)
    assert set(tiles(browser)) == {"dashboard-new", "dashboard-unassigned", "dashboard-overdue"}
    assert "Grievance back office" in browser.find_element(By.ID, "site-name").text
    shoot(browser, "admin-01-dispatcher-dashboard")

    # 2. The list: open complaints, fifteen compact rows, the Due column on screen without scrolling.
    browser.find_element(By.CSS_SELECTOR, "#dashboard .dashboard-new a").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 15
    shoot(browser, "admin-02-open-queue")
    geometry = browser.execute_script(
        "const due = document.querySelector('#result_list th.column-due');"
        "const rows = document.querySelectorAll('#result_list tbody tr');"
        "return {dueRight: due.getBoundingClientRect().right, width: document.documentElement.clientWidth,"
        " scrollWidth: document.documentElement.scrollWidth, rowHeight: rows[0].getBoundingClientRect().height,"
        " visibleRows: [...rows].filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length};"
    )
    assert geometry["dueRight"] <= geometry["width"], geometry
    assert geometry["scrollWidth"] <= geometry["width"], geometry
    assert geometry["rowHeight"] <= 36, geometry
    assert geometry["visibleRows"] >= 12, geometry
    department = browser.find_element(By.CSS_SELECTOR, "#result_list td.field-department_short span")
    # The leaf name, with the full path on hover.
    assert department.text == "Public Works"
    assert department.get_attribute("title") == "Municipal Corporation / Public Works"

    # 3. The complaint page: description, photo, map and due time on the first screen.
    browser.get(change_page)
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Complaint {complaint.reference}"
    for selector in (".summary-description", ".summary-photos img", "#complaint-map", ".summary-due"):
        assert on_first_screen(browser, browser.find_element(By.CSS_SELECTOR, selector)), selector
    wait_for(
        browser, lambda b: b.find_element(By.CSS_SELECTOR, "#complaint-map.leaflet-container .leaflet-marker-icon")
    )
    wait_for(
        browser, lambda b: b.execute_script("return document.querySelector('.summary-photos img').naturalWidth > 0")
    )
    assert "Filed by the citizen" in browser.find_element(By.ID, "timeline").text
    assert not browser.find_elements(By.CSS_SELECTOR, ".submit-row .closelink")
    shoot(browser, "admin-03-complaint-first-screen")

    # 4. Triage: the department is the current one and the assignees are its people; choosing Water
    #    refreshes them; back to Roads, pick the roads officer.
    browser.find_element(By.ID, "workflow-triage_complaints").click()
    department = Select(browser.find_element(By.ID, "id_department"))
    assert department.first_selected_option.get_attribute("value") == str(dept_roads.pk)
    assignee = browser.find_element(By.ID, "id_assignee")
    assert str(officer_roads.pk) in option_values(assignee)
    assert str(officer_water.pk) not in option_values(assignee)
    department.select_by_value(str(dept_water.pk))
    wait_for(browser, lambda b: option_values(b.find_element(By.ID, "id_assignee")) == [str(officer_water.pk)])
    department.select_by_value(str(dept_roads.pk))
    wait_for(browser, lambda b: str(officer_roads.pk) in option_values(b.find_element(By.ID, "id_assignee")))
    Select(browser.find_element(By.ID, "id_assignee")).select_by_value(str(officer_roads.pk))
    Select(browser.find_element(By.ID, "id_priority")).select_by_value("high")
    browser.find_element(By.ID, "id_note").send_keys("Near a school: high.")
    shoot(browser, "admin-04-triage-form")
    browser.find_element(By.NAME, "_apply").click()
    assert f"{complaint.reference}: triaged" in success_messages(browser)
    assert browser.current_url == change_page
    assert "Sent to Roads, assigned to" in browser.find_element(By.ID, "timeline").text

    # 5. The roads officer starts and resolves it.
    log_in(browser, base, officer_roads)
    assert set(tiles(browser)) == {"dashboard-mine", "dashboard-overdue"}
    browser.get(change_page)
    browser.find_element(By.ID, "workflow-start_complaints").click()
    assert f"{complaint.reference}: started" in success_messages(browser)
    browser.find_element(By.ID, "workflow-resolve_complaints").click()
    browser.find_element(By.ID, "id_note").send_keys("Filled and rolled.")
    browser.find_element(By.NAME, "_apply").click()
    assert f"{complaint.reference}: resolved" in success_messages(browser)
    timeline = browser.find_element(By.ID, "timeline").text
    assert "Work started" in timeline and "Resolved" in timeline and "Filled and rolled." in timeline
    shoot(browser, "admin-05-officer-resolved")

    # 6. The manager: the pending request is a tile, the complaint says so, and the request page
    #    has Approve and Reject.
    log_in(browser, base, manager_public_works)
    assert "dashboard-escalation_requests" in tiles(browser)
    browser.get(f"{base}/admin/complaints/complaint/{stuck.pk}/change/")
    browser.find_element(By.CSS_SELECTOR, "#pending-request a").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Escalation request for {stuck.reference}"
    assert browser.find_element(By.ID, "decision-reject_requests").is_displayed()
    shoot(browser, "admin-06-escalation-request")
    browser.find_element(By.ID, "decision-approve_requests").click()
    browser.find_element(By.ID, "id_note").send_keys("Public Works takes it.")
    browser.find_element(By.NAME, "_apply").click()
    assert f"{stuck.reference}: escalation approved" in success_messages(browser)
    assert not browser.find_elements(By.ID, "decision-approve_requests")
    shoot(browser, "admin-07-escalation-approved")

    complaint.refresh_from_db()
    assert (complaint.status, complaint.department, complaint.assignee, complaint.priority) == (
        Status.RESOLVED,
        dept_roads,
        officer_roads,
        "high",
    )
    escalation_request.refresh_from_db()
    assert escalation_request.state == EscalationRequest.State.APPROVED
    assert ComplaintEvent.objects.filter(complaint=stuck, action="escalate", actor=manager_public_works).exists()
