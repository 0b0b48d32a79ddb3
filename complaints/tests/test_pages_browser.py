"""End to end in a real headless Chromium: a citizen signs in by OTP, files a complaint with a photo,
and finds it in "My complaints" and on its own page."""

import re
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from complaints.models import Complaint, Status
from notifications import sms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_by_otp(browser, base_url: str, phone: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    browser.delete_all_cookies()
    browser.get(f"{base_url}/accounts/login/")
    browser.find_element(By.ID, "id_phone").send_keys(phone)
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("/accounts/login/verify/"))
    # The locmem SMS outbox is shared with live_server's thread, so the code can be read here.
    message = next(m for m in reversed(sms.outbox) if m.to == phone)
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    browser.find_element(By.ID, "id_code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_to_be(f"{base_url}/"))
    assert "You are signed in." in browser.find_element(By.CSS_SELECTOR, "ul.messages").text


def test_citizen_signs_in_by_otp_files_a_complaint_and_follows_it(
    browser, live_server, citizen, category_infrastructure, category_potholes, dept_roads, sla_default
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    photo = Path(tempfile.mkdtemp(prefix="pages-browser-")) / "pothole.jpg"
    Image.new("RGB", (64, 48), "gray").save(photo, format="JPEG")
    try:
        sign_in_by_otp(browser, live_server.url, citizen.phone)

        browser.find_element(By.CSS_SELECTOR, "main a.button.big").click()  # "Report a problem"
        browser.find_element(By.ID, "id_title").send_keys("Pothole outside Sector 9 market")
        browser.find_element(By.ID, "id_description").send_keys("Deep pothole in front of the chemist; bikes skid.")
        Select(browser.find_element(By.ID, "id_category")).select_by_visible_text("Infrastructure")
        Select(browser.find_element(By.ID, "id_subcategory")).select_by_visible_text("Potholes")
        browser.find_element(By.ID, "id_ward").send_keys("Ward 9")
        # The pin, as the map or "use my location" would put it (no tiles in tests).
        browser.execute_script("window.grievanceLocation.setPin(28.6139, 77.209)")
        browser.find_element(By.ID, "id_files").send_keys(str(photo))
        browser.find_element(By.CSS_SELECTOR, "#complaint-form > button[type=submit]").click()
        WebDriverWait(browser, 10).until(expected_conditions.url_contains("/complaints/GRV-"))

        complaint = Complaint.objects.get(citizen=citizen)
        assert browser.current_url == f"{live_server.url}/complaints/{complaint.reference}/"
        assert complaint.reference in browser.find_element(By.CSS_SELECTOR, "ul.messages").text
        content = browser.find_element(By.ID, "content").text
        assert "Pothole outside Sector 9 market" in content
        assert "Roads" in content
        assert "Complaint filed" in content
        assert browser.find_element(By.CSS_SELECTOR, "ul.thumbs img[alt='Photo: pothole.jpg']")

        browser.find_element(By.LINK_TEXT, "My complaints").click()
        row = browser.find_element(By.LINK_TEXT, "Pothole outside Sector 9 market")
        assert complaint.reference in browser.find_element(By.CSS_SELECTOR, "main ul.cards").text
        row.click()
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith(complaint.reference)
    except Exception:
        shot = Path(tempfile.mkdtemp(prefix="pages-browser-")) / "failure.png"
        browser.save_screenshot(str(shot))
        print(f"screenshot of the failure: {shot}")
        raise

    assert complaint.status == Status.NEW
    assert complaint.subcategory == category_potholes
    assert (str(complaint.latitude), str(complaint.longitude)) == ("28.613900", "77.209000")
    assert complaint.attachments.count() == 1
