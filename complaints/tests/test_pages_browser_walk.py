"""A citizen's walk through the pages in Debian's headless chromium, at phone (390x844) and desktop
sizes: sign in, fix form errors, put a pin (with "use my location" or on the map), see a nearby
complaint and say "Me too", file with only an address and a photo, switch to Hindi, follow the
complaint. axe-core checks every page, in both languages and with errors shown: 0 violations.
Screenshots of each step go to var/screenshots/ (gitignored)."""

import re
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from complaints.models import Complaint, Support
from complaints.tests.factories import file_complaint
from notifications import sms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "assets" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = (390, 844)
DESKTOP = (1280, 900)
PIN = (28.613900, 77.209000)  # the other citizen's open pothole is here


def by():
    from selenium.webdriver.common.by import By

    return By


def wait_for(browser, condition, timeout=20):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.wait import WebDriverWait

    # The page may be replaced while we look (a form was sent): look again.
    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(browser, timeout, ignored_exceptions=ignored).until(condition)


def set_viewport(browser, size):
    width, height = size
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def shoot(browser, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / f"{name}.png"))


def axe_violations(browser) -> list[str]:
    """Run axe-core (vendored, injected here; the pages never load it) on the current page."""
    if not browser.execute_script("return !!window.axe"):
        browser.execute_script(AXE.read_text(encoding="utf-8"))
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '))))"
        ".catch(e => done(['axe failed: ' + e]));"
    )
    return result


def assert_accessible(browser, name: str) -> None:
    shoot(browser, name)
    assert axe_violations(browser) == [], name


def assert_fits_the_screen(browser) -> None:
    # Nothing wider than the viewport (no sideways scrolling) and the header on one row.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    nav_height = browser.execute_script("return document.querySelector('nav.top').getBoundingClientRect().height")
    assert nav_height < 56, f"the header wraps ({nav_height}px)"


def sign_in(browser, base_url: str, phone: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{base_url}/accounts/login/")
    browser.find_element(by().ID, "id_phone").send_keys(phone)
    browser.find_element(by().CSS_SELECTOR, "main button[type=submit]").click()
    wait_for(browser, lambda b: "/accounts/login/verify/" in b.current_url)
    code = re.search(r"\b(\d{6})\b", next(m for m in reversed(sms.outbox) if m.to == phone).body).group(1)
    browser.find_element(by().ID, "id_code").send_keys(code)
    browser.find_element(by().CSS_SELECTOR, "main button[type=submit]").click()
    wait_for(browser, lambda b: b.current_url == f"{base_url}/")


def choose(browser, select_id: str, text: str) -> None:
    from selenium.webdriver.support.select import Select

    Select(browser.find_element(by().ID, select_id)).select_by_visible_text(text)


@pytest.fixture
def neighbours_pothole(other_citizen, category_infrastructure, category_potholes, dept_roads, sla_default):
    return file_complaint(
        other_citizen,
        title="Pothole at the bus stop",
        category=category_infrastructure,
        subcategory=category_potholes,
        latitude=str(PIN[0]),
        longitude=str(PIN[1]),
    )


@pytest.fixture
def photo():
    path = Path(tempfile.mkdtemp(prefix="pages-walk-")) / "pothole.jpg"
    Image.new("RGB", (320, 240), "gray").save(path, format="JPEG")
    return path


@pytest.mark.parametrize(("label", "size"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_citizen_walk_errors_pin_duplicate_address_hindi_follow(
    browser, live_server, settings, citizen, neighbours_pothole, photo, label, size
):
    By = by()
    base = live_server.url
    if label == "desktop":
        # A map with tiles from this server (no outside calls): the pin is put by clicking the map.
        settings.MAP_TILE_URL = "/static/img/favicon.svg?z={z}&x={x}&y={y}"
        settings.MAP_TILE_ATTRIBUTION = "Test tiles"
    set_viewport(browser, size)
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["geolocation"]})
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride", {"latitude": PIN[0], "longitude": PIN[1], "accuracy": 5}
    )

    # 1. Home: "Report a problem" comes first. Sign in.
    browser.get(base + "/")
    assert_accessible(browser, f"{label}-01-home")
    assert_fits_the_screen(browser)
    sign_in(browser, base, citizen.phone)
    browser.find_element(By.CSS_SELECTOR, "main a.button.big").click()
    wait_for(browser, lambda b: b.current_url.endswith("/complaints/new/"))
    assert_accessible(browser, f"{label}-02-report-form")
    assert_fits_the_screen(browser)

    # 2. Send it empty: the error summary takes focus, the title says "Error:", links lead to fields.
    browser.find_element(By.CSS_SELECTOR, "#complaint-form > button[type=submit]").click()
    wait_for(browser, lambda b: b.title.startswith("Error: "))
    assert browser.execute_script("return document.activeElement.hasAttribute('data-error-summary')")
    assert_accessible(browser, f"{label}-03-errors")
    browser.find_element(By.LINK_TEXT, "Enter a title").click()
    assert browser.execute_script("return document.activeElement.id") == "id_title"

    # 3. Fill it in, put the pin: the neighbour's open pothole 0 m away is offered instead.
    choose(browser, "id_category", "Infrastructure")
    choose(browser, "id_subcategory", "Potholes")
    browser.find_element(By.ID, "id_title").send_keys("Pothole at the bus stop again")
    browser.find_element(By.ID, "id_description").send_keys("Deep, full of water; a scooter fell.")
    if label == "desktop":
        map_element = browser.find_element(By.ID, "map")
        assert map_element.is_displayed()
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", map_element)
        map_element.click()  # the map opens on MAP_DEFAULT_CENTER, which is the neighbour's pothole
        wait_for(browser, lambda b: b.find_element(By.ID, "id_latitude").get_attribute("value"))
    else:
        browser.find_element(By.ID, "use-my-location").click()
        wait_for(browser, lambda b: b.find_element(By.ID, "id_latitude").get_attribute("value") == "28.613900")
    assert "Pin set at" in browser.find_element(By.ID, "pin-status").text
    nearby = wait_for(
        browser, lambda b: b.find_element(By.ID, "nearby") if b.find_element(By.ID, "nearby").is_displayed() else None
    )
    assert neighbours_pothole.reference in nearby.text
    browser.execute_script("arguments[0].scrollIntoView()", nearby)
    assert_accessible(browser, f"{label}-04-nearby")

    if label == "phone":
        # 4a. On the phone the citizen chooses the duplicate: "Me too", nothing new is filed.
        nearby.find_element(By.CSS_SELECTOR, "button[formaction]").click()
        wait_for(browser, lambda b: f"/track/{neighbours_pothole.reference}/" in b.current_url)
        assert "your support was added" in browser.find_element(By.CSS_SELECTOR, "ul.messages").text
        assert_accessible(browser, f"{label}-05-me-too")
        assert Support.objects.filter(complaint=neighbours_pothole, user=citizen).exists()
        assert not Complaint.objects.filter(citizen=citizen).exists()
        browser.get(base + "/complaints/new/")
        choose(browser, "id_category", "Infrastructure")
        choose(browser, "id_subcategory", "Potholes")
        browser.find_element(By.ID, "id_title").send_keys("Streetlight pole leaning")
        browser.find_element(By.ID, "id_description").send_keys("The pole leans over the road.")
    else:
        # 4b. On the desktop it is a different problem: take the pin away and give an address only.
        browser.find_element(By.ID, "clear-pin").click()
        assert browser.find_element(By.ID, "id_latitude").get_attribute("value") == ""
        wait_for(browser, lambda b: not b.find_element(By.ID, "nearby").is_displayed())

    # 5. File with only an address (the no-map path) and a photo.
    browser.find_element(By.ID, "id_address").send_keys("Opposite the Sector 9 market gate")
    browser.find_element(By.ID, "id_ward").send_keys("9")
    browser.find_element(By.ID, "id_files").send_keys(str(photo))
    browser.find_element(By.CSS_SELECTOR, "#complaint-form > button[type=submit]").click()
    wait_for(browser, lambda b: "/complaints/GRV-" in b.current_url)
    complaint = Complaint.objects.get(citizen=citizen)
    assert (complaint.latitude, complaint.address) == (None, "Opposite the Sector 9 market gate")
    assert complaint.reference in browser.find_element(By.CSS_SELECTOR, "ul.messages").text
    # The thumbnail really loads (through the permission-checked download), once it is in view.
    thumbnail = browser.find_element(By.CSS_SELECTOR, "ul.thumbs img")
    browser.execute_script("arguments[0].scrollIntoView();", thumbnail)
    wait_for(browser, lambda b: b.find_element(By.CSS_SELECTOR, "ul.thumbs img").get_attribute("naturalWidth") != "0")
    assert_accessible(browser, f"{label}-06-filed")
    assert_fits_the_screen(browser)

    # 6. Switch to Hindi in the header: the page, its lang and the saved preference follow.
    browser.find_element(By.CSS_SELECTOR, "nav.top button[lang=hi]").click()
    wait_for(browser, lambda b: b.execute_script("return document.documentElement.lang") == "hi")
    assert "अब तक क्या हुआ" in browser.find_element(By.ID, "content").text
    citizen.refresh_from_db()
    assert citizen.preferred_language == "hi"
    assert browser.execute_script("return document.fonts.check('16px \"Noto Sans Devanagari\"', 'शिकायत')")
    assert_accessible(browser, f"{label}-07-detail-hindi")
    assert_fits_the_screen(browser)

    # 7. Hindi errors, then "My complaints" as cards and the public page.
    browser.get(base + "/complaints/new/")
    browser.find_element(By.CSS_SELECTOR, "#complaint-form > button[type=submit]").click()
    wait_for(browser, lambda b: b.title.startswith("त्रुटि: "))
    assert "शीर्षक लिखें" in browser.find_element(By.CSS_SELECTOR, ".error-summary").text
    assert_accessible(browser, f"{label}-08-errors-hindi")
    browser.get(base + "/complaints/")
    card = browser.find_element(By.CSS_SELECTOR, "ul.cards li.card")
    assert complaint.title in card.text and card.find_element(By.CSS_SELECTOR, ".status").is_displayed()
    assert_accessible(browser, f"{label}-09-my-complaints-hindi")
    assert_fits_the_screen(browser)
    card.find_element(By.TAG_NAME, "a").click()
    wait_for(browser, lambda b: complaint.reference in b.current_url)
    browser.find_element(By.PARTIAL_LINK_TEXT, "सार्वजनिक पेज").click()
    wait_for(browser, lambda b: "/track/" in b.current_url)
    assert_accessible(browser, f"{label}-10-track-hindi")

    # 8. And back to English.
    browser.find_element(By.CSS_SELECTOR, "nav.top button[lang=en]").click()
    wait_for(browser, lambda b: b.execute_script("return document.documentElement.lang") == "en")
    assert_accessible(browser, f"{label}-11-track-english")


@pytest.mark.parametrize(("label", "size"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_public_and_sign_in_pages_are_accessible_in_both_languages_and_with_errors(browser, live_server, label, size):
    By = by()
    set_viewport(browser, size)
    base = live_server.url
    for language in ("en", "hi"):
        browser.delete_all_cookies()
        browser.get(base + "/")
        if language == "hi":
            browser.find_element(By.CSS_SELECTOR, "nav.top button[lang=hi]").click()
            wait_for(browser, lambda b: b.execute_script("return document.documentElement.lang") == "hi")
        for path in ("/", "/track/", "/track/?reference=nonsense", "/accounts/login/", "/no-such-page/"):
            browser.get(base + path)
            assert_accessible(browser, f"{label}-public-{language}-{path.strip('/').replace('/', '-') or 'home'}")
        browser.get(base + "/accounts/login/")
        browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
        wait_for(browser, lambda b: b.find_element(By.CSS_SELECTOR, "[data-error-summary]"))
        assert browser.execute_script("return document.activeElement.hasAttribute('data-error-summary')")
        assert_accessible(browser, f"{label}-public-{language}-login-error")
