"""Content-Security-Policy on every page, and no page needs inline script to work."""

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from complaints.tests.factories import file_complaint
from grievance.csp import tile_image_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def pothole(citizen, category_infrastructure, category_potholes, sla_default):
    return file_complaint(citizen, category=category_infrastructure, subcategory=category_potholes)


class InlineScriptFinder(HTMLParser):
    """Collects what a strict policy would block: inline <script> bodies, on* handler attributes and
    javascript: URLs. JSON data blocks (json_script) are data, not script, and are allowed."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            self._in_inline_script = "src" not in attributes and kind != "application/json"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:80]!r}")


def _directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"{response.wsgi_request.path} has no Content-Security-Policy"
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict_page(response):
    path = response.wsgi_request.get_full_path()
    assert response.status_code == 200, (path, response.status_code)
    policy = _directives(response)
    assert policy["default-src"] == ["'self'"], path
    assert policy["script-src"] == ["'self'"], path  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert policy["frame-ancestors"] == ["'none'"], path
    assert policy["object-src"] == ["'none'"], path
    if "html" in response.get("Content-Type", ""):
        finder = InlineScriptFinder()
        finder.feed(response.content.decode())
        assert finder.problems == [], (path, finder.problems)


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_public_pages(pothole):
    client = _client()
    for url in (
        "/",
        reverse("complaints:track"),
        reverse("complaints:track-detail", args=[pothole.reference]),
        reverse("accounts:login"),
        reverse("analytics:public"),
        "/admin/login/",
    ):
        assert_strict_page(client.get(url))


def test_citizen_pages(citizen, pothole):
    client = _client(citizen)
    for url in (
        reverse("complaints:list"),
        reverse("complaints:new"),
        reverse("complaints:detail", args=[pothole.reference]),
        reverse("notifications:list"),
    ):
        assert_strict_page(client.get(url))


def test_back_office_pages(admin_user, manager_public_works, pothole):
    client = _client(admin_user)
    assert_strict_page(client.get("/admin/"))
    assert_strict_page(client.get(reverse("admin:complaints_complaint_change", args=[pothole.pk])))
    assert_strict_page(client.get(reverse("analytics:dashboard")))
    assert_strict_page(_client(manager_public_works).get(reverse("analytics:dashboard")))
    # Every registered admin page's list and add form (messaging, notifications, axes, ...).
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        assert_strict_page(client.get(reverse("admin:{}_{}_changelist".format(*info))))
        if model_admin.has_add_permission(client.get("/admin/").wsgi_request):
            assert_strict_page(client.get(reverse("admin:{}_{}_add".format(*info))))


def test_api_docs_load_their_script_from_our_origin():
    client = _client()
    assert_strict_page(client.get("/api/docs/"))
    script = client.get("/api/docs/?script")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    redoc = client.get("/api/redoc/")
    assert_strict_page(redoc)
    assert _directives(redoc)["worker-src"] == ["'self'", "blob:"]
    assert b"cdn.jsdelivr" not in client.get("/api/docs/").content + redoc.content


def test_api_responses_carry_the_policy_too(citizen):
    response = _client().get("/api/v1/track/GRV-NOPE/")
    assert _directives(response)["default-src"] == ["'self'"]


def test_the_map_tile_host_is_allowed_for_images(settings, admin_user):
    settings.MAP_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    policy = _directives(_client(admin_user).get(reverse("analytics:dashboard")))
    assert policy["img-src"] == ["'self'", "data:", "https://*.tile.example.org"]
    assert policy["script-src"] == ["'self'"]
    settings.MAP_TILE_URL = ""
    assert _directives(_client().get("/"))["img-src"] == ["'self'", "data:"]


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.osm.example/{z}/{x}/{y}.png", "https://*.tile.osm.example"),
        ("http://tiles.city.local:8080/{z}/{x}/{y}.png", "http://tiles.city.local:8080"),
        ("", None),
        ("tiles/{z}/{x}/{y}.png", None),
        ("javascript:alert(1)", None),
        ("https://{z}.evil/{x}", None),
        ("https://a.*.evil/{x}", None),
    ],
)
def test_tile_image_source(url, source):
    assert tile_image_source(url) == source


def test_the_inline_script_finder_finds_what_a_strict_policy_blocks():
    finder = InlineScriptFinder()
    finder.feed(
        '<script>alert(1)</script><script src="/static/a.js"></script>'
        '<script type="application/json">{"a": 1}</script><a href="JavaScript:x()">x</a><b onclick="x()">'
    )
    assert len(finder.problems) == 3


# --- in a real browser: the pages run under the policy without a single violation --------------------
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_run_in_chromium_without_csp_violations(browser, live_server, admin_user, citizen, sla_default,
                                                      category_infrastructure, category_potholes):
    from selenium.webdriver.common.by import By

    from accounts.tests.factories import TEST_PASSWORD

    complaint = file_complaint(citizen, category=category_infrastructure, subcategory=category_potholes)
    # Injected through the DevTools protocol, so it runs before any page script and is not itself
    # subject to the page's policy.
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.ID, "id_username").send_keys(admin_user.email)
    browser.find_element(By.ID, "id_password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert browser.find_element(By.ID, "dashboard").is_displayed()
    pages = {
        "/": None,
        "/admin/": "dashboard",
        f"/admin/complaints/complaint/{complaint.pk}/change/": "content",
        "/admin/django_celery_beat/periodictask/add/": "periodictask_form",
        "/analytics/": "content",
        "/performance/": None,
        "/api/docs/": "swagger-ui",
    }
    for path, element_id in pages.items():
        browser.get(live_server.url + path)
        if element_id:
            assert browser.find_element(By.ID, element_id).is_displayed()
        if path == "/api/docs/":  # Swagger UI rendered the operations from the schema
            assert browser.find_elements(By.CSS_SELECTOR, ".opblock")
        if path == "/admin/django_celery_beat/periodictask/add/":  # the moved script ran
            assert not browser.find_element(By.CSS_SELECTOR, ".field-crontab_translation").is_displayed()
        assert browser.execute_script("return window.__cspViolations") == [], path


@pytest.mark.parametrize("path", ["/api/v1/track/GRV-NOPE/", "/api/redoc/", "/"])
def test_the_remembered_policy_is_the_one_django_csp_builds(settings, path):
    from csp.middleware import CSPMiddleware

    from grievance.csp import GrievanceCSPMiddleware

    settings.MAP_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    for _ in range(2):  # the second answer comes from memory
        response = _client().get(path)
        ours = response["Content-Security-Policy"]
        del response["Content-Security-Policy"]

        class Library(GrievanceCSPMiddleware):
            process_response = CSPMiddleware.process_response  # django-csp's own, building each time

        request = response.wsgi_request
        request._csp_nonce = None
        library = Library(lambda r, response=response: response)
        assert library.process_response(request, response)["Content-Security-Policy"] == ours
