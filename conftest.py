"""Fixtures shared by every app's tests: API clients and the personas of the permission matrix."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.tests.factories import TEST_PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters and cached reference data live in the cache; no test inherits another's.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    # Like django.core.mail.outbox: every test starts with no text messages sent.
    from notifications import sms

    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def make_user(db):
    return UserFactory


@pytest.fixture
def auth_client():
    """An API client authenticated as `user` with a real JWT, as the mobile app would be."""

    def _client(user) -> APIClient:
        from rest_framework_simplejwt.tokens import RefreshToken

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return _client


@pytest.fixture
def citizen(db):
    return UserFactory(role=Role.CITIZEN, full_name="Alice Citizen")


@pytest.fixture
def other_citizen(db):
    return UserFactory(role=Role.CITIZEN, full_name="Bob Citizen")


@pytest.fixture
def dispatcher(db):
    return UserFactory(role=Role.DISPATCHER, full_name="Dina Dispatcher")


@pytest.fixture
def executive(db):
    return UserFactory(role=Role.EXECUTIVE, full_name="Ed Executive")


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN, full_name="Ada Admin")


@pytest.fixture
def service_user(db):
    return UserFactory(role=Role.SERVICE, full_name="AI service", phone=None)


@pytest.fixture
def celery_conf():
    """Change the Celery app's configuration for one test; restored afterwards."""
    from grievance.celery import app

    saved: dict = {}

    def _forget_connections():
        # The app caches its result backend and producer pool from the settings it first saw.
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    def _update(**overrides):
        for key in overrides:
            saved.setdefault(key, app.conf[key])
        app.conf.update(overrides)
        _forget_connections()
        return app

    yield _update
    app.conf.update(saved)
    _forget_connections()


# --- departments: a small organisation (issue 4) ---------------------------------------------
#   Municipal Corporation
#   ├── Public Works (manager: manager_public_works)
#   │   ├── Roads (officer_roads)
#   │   └── Street Lighting
#   └── Water Supply (officer_water)
@pytest.fixture
def dept_corporation(db):
    from departments.tests.factories import DepartmentFactory

    return DepartmentFactory(code="municipal-corporation", name="Municipal Corporation")


@pytest.fixture
def dept_public_works(db, dept_corporation):
    from departments.tests.factories import DepartmentFactory

    return DepartmentFactory(code="public-works", name="Public Works", parent=dept_corporation)


@pytest.fixture
def dept_roads(db, dept_public_works):
    from departments.tests.factories import DepartmentFactory

    return DepartmentFactory(code="roads", name="Roads", parent=dept_public_works)


@pytest.fixture
def dept_lighting(db, dept_public_works):
    from departments.tests.factories import DepartmentFactory

    return DepartmentFactory(code="street-lighting", name="Street Lighting", parent=dept_public_works)


@pytest.fixture
def dept_water(db, dept_corporation):
    from departments.tests.factories import DepartmentFactory

    return DepartmentFactory(code="water-supply", name="Water Supply", parent=dept_corporation)


@pytest.fixture
def officer_roads(db, dept_roads):
    return UserFactory(role=Role.OFFICER, department=dept_roads, full_name="Ravi Roads Officer")


@pytest.fixture
def officer_water(db, dept_water):
    return UserFactory(role=Role.OFFICER, department=dept_water, full_name="Wasim Water Officer")


@pytest.fixture
def manager_public_works(db, dept_public_works):
    user = UserFactory(role=Role.MANAGER, department=dept_public_works, full_name="Priya Public Works Manager")
    dept_public_works.manager = user
    dept_public_works.save(update_fields=["manager"])
    return user


@pytest.fixture
def category_infrastructure(db, dept_public_works):
    from departments.tests.factories import CategoryFactory

    return CategoryFactory(
        code="infrastructure", name="Infrastructure", name_hi="बुनियादी ढांचा", default_department=dept_public_works
    )


@pytest.fixture
def category_potholes(db, category_infrastructure, dept_roads):
    from departments.models import Priority
    from departments.tests.factories import CategoryFactory

    return CategoryFactory(
        code="potholes",
        name="Potholes",
        name_hi="सड़क में गड्ढे",
        parent=category_infrastructure,
        default_department=dept_roads,
        default_priority=Priority.MEDIUM,
    )


@pytest.fixture
def category_water_leak(db, category_infrastructure, dept_water):
    from departments.tests.factories import CategoryFactory

    return CategoryFactory(
        code="water-leak",
        name="Water leak",
        name_hi="पानी का रिसाव",
        parent=category_infrastructure,
        default_department=dept_water,
    )


@pytest.fixture
def sla_default(db):
    from departments.tests.factories import SLAPolicyFactory

    return SLAPolicyFactory(hours_low=168, hours_medium=72, hours_high=24, hours_urgent=6)


@pytest.fixture
def closure_reason_duplicate(db):
    from departments.tests.factories import ClosureReasonFactory

    return ClosureReasonFactory(code="duplicate", name="Duplicate", ordering=20)


@pytest.fixture
def closure_reason_spam(db):
    from departments.tests.factories import ClosureReasonFactory

    return ClosureReasonFactory(code="spam", name="Spam or abusive", ordering=50)


# --- a real headless browser (tests marked `browser`) -----------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser(tmp_path_factory):
    """Selenium driving Debian's headless chromium (scripts/test.sh installs it); skipped with the
    reason when the browser, its driver or selenium is missing. Quit at teardown."""
    import os

    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        reason = f"browser test: {CHROMIUM} or {CHROMEDRIVER} missing (apt-get install chromium chromium-driver)"
        if os.environ.get("GRIEVANCE_REQUIRE_BROWSER"):
            pytest.fail(reason + "; CI requires the browser tests to run")
        pytest.skip(reason)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("browser test: selenium is not installed (pip install -r requirements-dev.txt)")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
