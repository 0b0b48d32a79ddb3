"""The engine stays below the apps that use it: it imports none of them, names none of their
concepts, and takes new kinds and channels from them."""

import ast
from pathlib import Path

import pytest
from django.core import mail

from notifications import services as engine
from notifications.channels import Channel, register_channel, registered_channels, unregister_channel
from notifications.models import Notification, NotificationDelivery

APP_DIR = Path(engine.__file__).resolve().parent
PROJECT_APPS = {"accounts", "departments", "complaints", "analytics", "grievance", "open311", "messaging"}


def engine_modules():
    for path in sorted(APP_DIR.rglob("*.py")):
        relative = path.relative_to(APP_DIR)
        if relative.parts[0] in ("tests", "migrations"):
            continue
        yield relative, ast.parse(path.read_text(encoding="utf-8"))


def imported_names(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_the_engine_imports_no_other_project_app():
    offending = {
        f"{path}: {name}"
        for path, tree in engine_modules()
        for name in imported_names(tree)
        if name.split(".")[0] in PROJECT_APPS
    }
    assert not offending, "notifications/ must not import the apps above it"


def test_the_engine_tables_name_no_complaint_or_notice_concept():
    names = [field.name for model in (Notification, NotificationDelivery) for field in model._meta.get_fields()]
    assert not [name for name in names if "complaint" in name or "notice" in name]


def test_the_engine_modules_have_no_complaint_vocabulary_outside_the_api_aliases():
    # The inbox API keeps `complaint_id`/`complaint_reference` for older app builds; nothing else
    # in the engine may speak of complaints or notices.
    found = sorted(
        str(path)
        for path, tree in engine_modules()
        if path != Path("api/views.py")
        and any(word in ast.unparse(tree).lower() for word in ("complaint", "notice"))
    )
    assert found == []


class RecordingChannel(Channel):
    """A chat-like channel: available to users with an email here, records what it sends."""

    name = "pigeon"
    label = "Pigeon post"

    def __init__(self):
        self.sent = []

    def is_available_for(self, user, preference) -> bool:
        return bool(user.email)

    def send(self, delivery) -> None:
        self.sent.append((delivery.notification.recipient_id, delivery.notification.title))


@pytest.fixture
def pigeon():
    channel = RecordingChannel()
    register_channel(channel)
    yield channel
    unregister_channel(channel.name)


@pytest.mark.django_db
def test_a_channel_registered_by_another_app_gets_its_own_deliveries(
    pigeon, citizen, django_capture_on_commit_callbacks
):
    engine.preferences_update(user=citizen, sms_enabled=False, email_enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = engine.notify(recipients=[citizen], kind="complaint_started",
                                       context={"reference": "GRV-1", "title": "Pothole"})
    assert list(notification.deliveries.values_list("channel", "status")) == [("pigeon", "sent")]
    assert pigeon.sent == [(citizen.pk, notification.title)]
    assert mail.outbox == []
    assert list(registered_channels())[:2] == ["sms", "email"]


@pytest.mark.django_db
def test_a_dedupe_key_writes_one_notification_per_recipient_however_often_it_is_given(
    citizen, other_citizen, django_capture_on_commit_callbacks
):
    message = engine.Message(recipients=[citizen, other_citizen], kind="complaint_started",
                             context={"reference": "GRV-1"}, dedupe_key="test:1")
    with django_capture_on_commit_callbacks(execute=True) as first:
        created = engine.notify_many([message, message])
    with django_capture_on_commit_callbacks(execute=True) as again:
        assert engine.notify_many([message]) == []
    assert len(created) == 2 and Notification.objects.count() == 2
    assert NotificationDelivery.objects.count() == 4 and len(first) == 1 and len(again) == 0


@pytest.mark.django_db
def test_a_delivery_filter_registered_by_another_app_drops_the_copies_it_sends_itself(
    pigeon, citizen, other_citizen, django_capture_on_commit_callbacks
):
    from notifications import sms
    from notifications.channels import register_delivery_filter, unregister_delivery_filter

    seen = []

    def pigeon_carries_citizens_texts(candidates):
        seen.append(len(candidates))
        return [d for d in candidates if d.channel == "sms" and d.notification.recipient_id == citizen.pk]

    register_delivery_filter("test.pigeon", pigeon_carries_citizens_texts)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            engine.notify(recipients=[citizen, other_citizen], kind="complaint_started",
                          context={"reference": "GRV-1", "title": "Pothole"})
    finally:
        unregister_delivery_filter("test.pigeon")
    # One call for the whole batch; the citizen's SMS copy was never written, nor sent.
    assert seen == [6]
    assert not NotificationDelivery.objects.filter(notification__recipient=citizen, channel="sms").exists()
    assert [message.to for message in sms.outbox] == [other_citizen.phone]
    assert Notification.objects.filter(recipient=citizen).count() == 1
