"""Notices: who receives them, who may publish them, and a batched fan-out that is safe to re-run."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints import notices
from complaints.models import Complaint, Notice
from complaints.tasks import send_notice
from complaints.tests.factories import file_complaint
from notifications import sms
from notifications.models import Notification

pytestmark = pytest.mark.django_db

NOTICES = "/api/v1/notices/"


@pytest.fixture(autouse=True)
def _sla(sla_default):
    return sla_default


def make_notice(department, author, **kwargs):
    categories = kwargs.pop("categories", [])
    notice = Notice.objects.create(department=department, author=author, title="Water off on Tuesday",
                                   body="Supply stops from 10:00 to 16:00 for repairs.", **kwargs)
    notice.categories.set(categories)
    return notice


def filed(citizen, *, days_ago=0, **kwargs):
    complaint = file_complaint(citizen, **kwargs)
    if days_ago:
        Complaint.objects.filter(pk=complaint.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    return complaint


def ids(users):
    return sorted(user.pk for user in users)


# --- recipients --------------------------------------------------------------------------------
def test_complainants_are_citizens_of_the_department_subtree_within_the_lookback(
    citizen, other_citizen, dept_public_works, dept_roads, dept_water, manager_public_works, dispatcher
):
    carol = UserFactory(role=Role.CITIZEN)
    dan = UserFactory(role=Role.CITIZEN)
    filed(citizen, department=dept_roads)  # below Public Works: in
    filed(citizen, department=dept_roads)  # twice: still once
    filed(other_citizen, department=dept_water)  # another branch: out
    filed(carol, department=dept_public_works, days_ago=40)  # too old: out
    filed(dan, department=dept_public_works, days_ago=5)  # in
    notice = make_notice(dept_public_works, manager_public_works, lookback_days=30)

    assert ids(notices.notice_recipients(notice)) == ids([citizen, dan])


def test_complainants_include_the_notices_categories_anywhere_in_the_tree(
    citizen, other_citizen, dept_public_works, dept_water, manager_public_works, category_infrastructure,
    category_water_leak, category_potholes
):
    filed(other_citizen, category=category_infrastructure, subcategory=category_water_leak)  # routed to water
    filed(citizen, department=dept_water)  # water, no category: out
    notice = make_notice(dept_public_works, manager_public_works, categories=[category_water_leak])
    assert ids(notices.notice_recipients(notice)) == ids([other_citizen])
    # A top-level category covers its subcategories.
    notice.categories.set([category_infrastructure])
    assert ids(notices.notice_recipients(notice)) == ids([other_citizen])


def test_area_by_ward_reaches_everyone_with_a_complaint_there_at_any_time(
    citizen, other_citizen, dept_water, officer_water, manager_public_works, admin_user
):
    filed(citizen, ward="Ward 5", days_ago=300)
    filed(other_citizen, ward="Ward 6")
    notice = make_notice(dept_water, admin_user, audience=Notice.Audience.AREA, ward="ward 5")
    assert ids(notices.notice_recipients(notice)) == ids([citizen])


def test_area_by_radius_reaches_citizens_with_complaints_near_the_point(citizen, other_citizen, dept_water,
                                                                        admin_user):
    filed(citizen, latitude="28.613900", longitude="77.209000")
    filed(other_citizen, latitude="28.623900", longitude="77.209000")  # about 1.1 km north
    notice = make_notice(dept_water, admin_user, audience=Notice.Audience.AREA,
                         latitude="28.613900", longitude="77.209500", radius_m=500)
    assert ids(notices.notice_recipients(notice)) == ids([citizen])
    notice.radius_m = 2000
    assert ids(notices.notice_recipients(notice)) == ids([citizen, other_citizen])


def test_staff_and_inactive_citizens_are_never_recipients(citizen, dept_water, admin_user, officer_water):
    gone = UserFactory(role=Role.CITIZEN, is_active=False)
    filed(citizen, department=dept_water)
    filed(gone, department=dept_water)
    notice = make_notice(dept_water, admin_user)
    assert ids(notices.notice_recipients(notice)) == ids([citizen])


# --- publishing and the fan-out ----------------------------------------------------------------
def test_publishing_counts_recipients_and_fans_out_in_batches_with_counts(
    dept_water, admin_user, django_capture_on_commit_callbacks, monkeypatch
):
    citizens = [UserFactory(role=Role.CITIZEN) for _ in range(7)]
    for person in citizens:
        filed(person, department=dept_water)
    notice = make_notice(dept_water, admin_user)
    monkeypatch.setattr(notices, "NOTICE_BATCH_SIZE", 3)
    batches = []
    real_notify = notices.notify

    def counting_notify(**kwargs):
        batches.append(len(kwargs["recipients"]))
        return real_notify(**kwargs)

    monkeypatch.setattr(notices, "notify", counting_notify)
    monkeypatch.setattr(send_notice, "run", lambda notice_id: notices.notice_send(notice_id=notice_id, batch_size=3))

    with django_capture_on_commit_callbacks(execute=True):
        published = notices.notice_publish(notice=notice, actor=admin_user)
    assert published.state == Notice.State.SENDING and published.recipients_count == 7

    notice.refresh_from_db()
    assert batches == [3, 3, 1]
    assert notice.state == Notice.State.SENT and notice.sent_count == 7 and notice.failed_count == 0
    assert Notification.objects.filter(kind="notice", subject_type="notice", subject_id=notice.pk).count() == 7
    first = Notification.objects.filter(subject_type="notice", subject_id=notice.pk).first()
    assert first.title == "Notice: Water off on Tuesday" and "10:00" in first.body
    assert len(sms.outbox) == 7


def test_re_running_the_fan_out_notifies_nobody_twice_and_fills_gaps(citizen, other_citizen, dept_water,
                                                                      admin_user):
    filed(citizen, department=dept_water)
    notice = make_notice(dept_water, admin_user, state=Notice.State.SENDING)
    notices.notice_send(notice_id=notice.pk)
    filed(other_citizen, department=dept_water)  # a newcomer since the first run

    notice = notices.notice_send(notice_id=notice.pk)
    notices.notice_send(notice_id=notice.pk)

    notice.refresh_from_db()
    of_notice = Notification.objects.filter(subject_type="notice", subject_id=notice.pk)
    assert of_notice.filter(recipient=citizen).count() == 1
    assert of_notice.filter(recipient=other_citizen).count() == 1
    assert notice.sent_count == 2 and notice.failed_count == 0


def test_a_failing_batch_is_counted_as_failed_and_retried_by_a_re_run(citizen, dept_water, admin_user,
                                                                      monkeypatch):
    filed(citizen, department=dept_water)
    notice = make_notice(dept_water, admin_user, state=Notice.State.SENDING)
    real_notify = notices.notify

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(notices, "notify", broken)
    notice = notices.notice_send(notice_id=notice.pk)
    assert (notice.sent_count, notice.failed_count) == (0, 1)

    monkeypatch.setattr(notices, "notify", real_notify)
    notice = notices.notice_send(notice_id=notice.pk)
    assert (notice.sent_count, notice.failed_count) == (1, 0)


def test_the_fan_out_runs_a_fixed_number_of_queries_per_batch(dept_water, admin_user,
                                                              django_assert_max_num_queries):
    for _ in range(5):
        filed(UserFactory(role=Role.CITIZEN), department=dept_water)
    small = make_notice(dept_water, admin_user, state=Notice.State.SENDING)
    # One batch: notice, reset, recipients, already-notified, notify (users, 2 inserts), counters, the
    # empty next batch, sent; plus savepoints.
    with django_assert_max_num_queries(17) as one_batch:
        notices.notice_send(notice_id=small.pk)
    for _ in range(20):
        filed(UserFactory(role=Role.CITIZEN), department=dept_water)
    big = make_notice(dept_water, admin_user, state=Notice.State.SENDING)
    # Five times the people in one batch: not one query more.
    with django_assert_max_num_queries(len(one_batch.captured_queries)):
        notices.notice_send(notice_id=big.pk)
    assert Notification.objects.filter(subject_type="notice", subject_id=big.pk).count() == 25


def test_a_notice_is_published_only_once(dept_water, admin_user):
    notice = make_notice(dept_water, admin_user)
    notices.notice_publish(notice=notice, actor=admin_user)
    from grievance.errors import Conflict

    with pytest.raises(Conflict):
        notices.notice_publish(notice=notice, actor=admin_user)


# --- the API ----------------------------------------------------------------------------------
def test_a_manager_writes_a_draft_for_their_subtree_and_publishes_it(
    auth_client, manager_public_works, dept_roads, citizen, django_capture_on_commit_callbacks
):
    filed(citizen, department=dept_roads)
    client = auth_client(manager_public_works)
    response = client.post(NOTICES, {"department": "roads", "title": "Road closed", "body": "MG Road is closed.",
                                     "lookback_days": 10}, format="json")
    assert response.status_code == 201, response.data
    assert response.data["state"] == "draft"

    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(f"{NOTICES}{response.data['id']}/publish/")
    assert published.status_code == 200
    assert published.data["state"] == "sending" and published.data["recipients_count"] == 1
    detail = client.get(f"{NOTICES}{response.data['id']}/").data
    assert detail["state"] == "sent" and detail["sent_count"] == 1
    assert Notification.objects.get(recipient=citizen).title == "Notice: Road closed"


def test_a_manager_cannot_write_for_a_department_outside_their_subtree(auth_client, manager_public_works,
                                                                       dept_water):
    response = auth_client(manager_public_works).post(
        NOTICES, {"department": "water-supply", "title": "x", "body": "y"}, format="json"
    )
    assert response.status_code == 400 and "department" in response.data["errors"]
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"department": "roads", "title": "", "body": "y"}, "title"),
        ({"department": "roads", "title": "x", "body": "y", "audience": "area"}, "audience"),
        ({"department": "roads", "title": "x", "body": "y", "latitude": "91"}, "latitude"),
        ({"department": "roads", "title": "x", "body": "y", "radius_m": 100}, "radius_m"),
        ({"department": "nowhere", "title": "x", "body": "y"}, "department"),
        ({"department": "roads", "title": "x", "body": "y", "lookback_days": 0}, "lookback_days"),
    ],
)
def test_bad_notices_are_a_400_with_the_field_and_save_nothing(auth_client, admin_user, dept_roads, payload,
                                                                field):
    response = auth_client(admin_user).post(NOTICES, payload, format="json")
    assert response.status_code == 400
    assert field in response.data["errors"]
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("persona", "list_status", "sees", "publish_status"),
    [
        ("admin_user", 200, True, 200),
        ("manager_public_works", 200, True, 200),  # a notice of Roads, below Public Works
        ("officer_water", 200, True, 403),
        ("dispatcher", 200, True, 403),
        ("executive", 200, True, 403),
        ("citizen", 403, False, 403),
    ],
)
def test_notice_permissions_by_persona(request, auth_client, dept_roads, dept_water, admin_user, persona,
                                       list_status, sees, publish_status):
    user = request.getfixturevalue(persona)
    department = dept_roads if persona == "manager_public_works" else dept_water
    notice = make_notice(department, admin_user)
    client = auth_client(user)

    listing = client.get(NOTICES)
    assert listing.status_code == list_status
    if list_status == 200:
        assert ([row["id"] for row in listing.data["results"]] == [notice.pk]) is sees
    assert client.post(f"{NOTICES}{notice.pk}/publish/").status_code == publish_status


def test_a_manager_of_another_department_neither_sees_nor_publishes_it(auth_client, manager_public_works,
                                                                       dept_water, admin_user):
    notice = make_notice(dept_water, admin_user)
    client = auth_client(manager_public_works)
    assert client.get(NOTICES).data["results"] == []
    assert client.get(f"{NOTICES}{notice.pk}/").status_code == 404
    assert client.post(f"{NOTICES}{notice.pk}/publish/").status_code == 404
    notice.refresh_from_db()
    assert notice.state == Notice.State.DRAFT


def test_officers_and_citizens_cannot_write_notices(auth_client, officer_water, citizen, dept_water):
    for user in (officer_water, citizen):
        response = auth_client(user).post(NOTICES, {"department": "water-supply", "title": "x", "body": "y"},
                                          format="json")
        assert response.status_code == 403
    assert not Notice.objects.exists()


def test_the_notice_list_runs_a_fixed_number_of_queries(auth_client, admin_user, dept_water, category_water_leak,
                                                        django_assert_max_num_queries):
    for _ in range(3):
        make_notice(dept_water, admin_user, categories=[category_water_leak])
    client = auth_client(admin_user)
    with django_assert_max_num_queries(6) as few:
        client.get(NOTICES)
    for _ in range(10):
        make_notice(dept_water, admin_user, categories=[category_water_leak])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(NOTICES).data["results"]) == 13
