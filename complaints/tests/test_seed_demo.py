"""The demo complaints seeded by `manage.py seed`: believable, in every state, made by the services, idempotent."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from complaints.models import Comment, Complaint, ComplaintEvent, Escalation, Feedback, Status, Support
from complaints.seed import DEMO_KEY, SPECS, demo_complaints, seed_demo_complaints

MODELS = [User, Complaint, ComplaintEvent, Comment, Escalation, Feedback, Support]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded(db):
    out = io.StringIO()
    call_command("seed", password="seed-pass-123", stdout=out)
    return out.getvalue()


def test_seeding_twice_creates_nothing_new(seeded):
    first = row_counts()
    # The seed also writes analytics history; the demo complaints are these.
    assert demo_complaints().count() == len(SPECS) >= 35
    out = io.StringIO()
    call_command("seed", password="seed-pass-123", stdout=out)
    assert row_counts() == first
    assert f"Demo complaints: {len(SPECS)} (0 new)" in out.getvalue()


def test_every_status_is_present_with_feedback_duplicates_and_overdue_ones(seeded):
    statuses = set(demo_complaints().values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert demo_complaints().filter(status=Status.CLOSED, feedback__isnull=False).exists()
    assert demo_complaints().filter(status=Status.REJECTED, duplicate_of__isnull=False).count() >= 3
    assert demo_complaints().filter(status=Status.REJECTED, duplicate_of__isnull=True).count() >= 2
    assert demo_complaints().overdue().count() >= 3
    # Reopened complaints went back to work through the service.
    assert ComplaintEvent.objects.filter(action="reopen").count() >= 2
    assert Escalation.objects.filter(kind=Escalation.Kind.AUTOMATIC).count() >= 4


def test_complaints_come_from_demo_citizens_including_the_foundations(seeded):
    citizens = User.objects.filter(complaints__in=demo_complaints()).distinct()
    assert all(user.role == Role.CITIZEN for user in citizens)
    assert citizens.filter(email="citizen@demo.grievance.local", phone="+919800000001").exists()
    assert {u.phone for u in citizens} <= {f"+9198000000{n:02d}" for n in range(1, 100)}
    assert citizens.count() >= 5


def test_timelines_are_real_and_have_public_and_internal_comments(seeded):
    for complaint in demo_complaints():
        events = list(complaint.events.order_by("created_at", "id"))
        assert events[0].action == "created", complaint.reference
        assert events[-1].to_status in ("", complaint.status) or events[-1].action in ("commented", "internal_note")
        # Clocks were moved back in order: nothing happens before the complaint was filed.
        assert all(e.created_at >= complaint.created_at for e in events)
    assert Comment.objects.filter(is_internal=True).exists()
    assert Comment.objects.filter(is_internal=False, author__role=Role.CITIZEN).exists()
    assert Comment.objects.filter(is_internal=False, author__role=Role.OFFICER).exists()
    assert ComplaintEvent.objects.filter(action="internal_note", is_internal=True).exists()
    assert Support.objects.exists()
    assert Complaint.objects.filter(supporters_count__gt=0).exists()


def test_department_codes_follow_the_seeded_tree(seeded):
    departments = set(demo_complaints().exclude(department=None).values_list("department__code", flat=True))
    assert {"roads", "street-lighting", "water-supply", "sanitation", "parks", "traffic-police"} <= departments
    # Escalated ones moved up a level.
    assert demo_complaints().filter(status=Status.ESCALATED, escalation_level__gte=1).count() >= 4


def test_function_returns_counts_and_skips_existing_keys(seeded):
    keys = set(demo_complaints().values_list(f"metadata__{DEMO_KEY}", flat=True))
    assert keys == {spec.key for spec in SPECS}
    again = seed_demo_complaints()
    assert again["complaints"] == {"total": len(SPECS), "created": 0}
    assert again["citizens"]["created"] == 0
    assert again["supports"]["created"] == 0
    assert sum(again["statuses"].values()) == len(SPECS)
    assert "duplicate" in again["statuses"]
    assert "demo complaints:" in seeded and "overdue" in seeded


def test_seeding_without_staff_says_what_to_do(db):
    with pytest.raises(RuntimeError, match="manage.py seed"):
        seed_demo_complaints()
    assert not Complaint.objects.exists()


@pytest.mark.django_db(transaction=True)  # real commits: notifications go out on commit
def test_seed_sends_no_text_or_email_through_the_configured_backends(settings, tmp_path):
    # Demo phone numbers may be real people's: even with a file (or Twilio) backend configured,
    # the seed keeps its messages in memory.
    settings.SMS_BACKEND = "notifications.sms.backends.filebased.SmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    call_command("seed", stdout=io.StringIO())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
