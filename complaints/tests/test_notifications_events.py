"""Who hears about what: one test per row of complaints.notifications.RULES, through the services."""

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints import services
from complaints.notifications import RULES
from complaints.tests.factories import file_complaint, in_progress_complaint
from notifications import sms
from notifications.models import Notification, NotificationDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sla(sla_default):
    return sla_default


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what services schedule after commit (the notification hook and the sending tasks)."""

    def _run():
        return django_capture_on_commit_callbacks(execute=True)

    return _run


@pytest.fixture
def manager_roads(dept_roads):
    user = UserFactory(role=Role.MANAGER, department=dept_roads, full_name="Mira Roads Manager")
    dept_roads.manager = user
    dept_roads.save(update_fields=["manager"])
    return user


@pytest.fixture
def working(on_commit, citizen, category_potholes, dispatcher, officer_roads, sla_default, manager_roads):
    """Alice's pothole, triaged to Roads and started by the Roads officer; nobody notified yet."""
    with on_commit():
        complaint = in_progress_complaint(
            citizen, category=category_potholes, dispatcher=dispatcher, officer=officer_roads
        )
    Notification.objects.all().delete()
    return complaint


def inbox(kind=None):
    """{recipient id: [kinds]} of every notification written so far."""
    rows = Notification.objects.order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.recipient_id, []).append(row.kind)
    return found


def recipients(kind=None) -> set[int]:
    return set(inbox(kind))


def test_every_action_that_notifies_has_a_rule_and_a_test():
    # Keeps this file honest: a new row in RULES needs a test here.
    assert set(RULES) == {
        "created", "triage", "assign", "start", "resolve", "close", "reopen",
        "reject", "duplicate", "escalate", "commented", "internal_note",
        "escalation_requested", "escalation_request_rejected",
    }


def test_filing_acknowledges_the_citizen_with_the_reference_and_tells_the_department_manager(
    on_commit, citizen, category_infrastructure, category_potholes, sla_default, manager_roads
):
    with on_commit():
        complaint = file_complaint(citizen, category=category_infrastructure, subcategory=category_potholes)

    assert recipients("complaint_created") == {citizen.pk, manager_roads.pk}
    receipt = Notification.objects.get(recipient=citizen)
    assert complaint.reference in receipt.title and complaint.reference in receipt.body
    assert (receipt.subject_type, receipt.subject_id) == ("complaint", complaint.pk)
    assert receipt.reference == complaint.reference
    # The receipt goes out by SMS too: the citizen has a phone.
    assert [m.to for m in sms.outbox].count(citizen.phone) == 1


def test_staff_filing_for_a_citizen_is_not_told_about_their_own_filing(
    on_commit, citizen, manager_roads, category_infrastructure, category_potholes, sla_default
):
    with on_commit():
        services.complaint_create(
            citizen=citizen, created_by=manager_roads, title="Pothole", description="Deep.",
            category=category_infrastructure, subcategory=category_potholes,
        )
    assert recipients() == {citizen.pk}


def test_triage_tells_the_citizen_and_the_new_assignee_not_the_dispatcher(
    on_commit, citizen, dispatcher, dept_roads, officer_roads
):
    with on_commit():
        complaint = file_complaint(citizen)
    Notification.objects.all().delete()
    with on_commit():
        services.complaint_triage(complaint=complaint, actor=dispatcher, department=dept_roads, assignee=officer_roads)
    assert recipients("complaint_triaged") == {citizen.pk, officer_roads.pk}
    assert recipients() == {citizen.pk, officer_roads.pk}


def test_assigning_tells_the_assignee_and_the_citizen_not_the_manager(
    on_commit, working, citizen, manager_roads, dept_roads
):
    other_officer = UserFactory(role=Role.OFFICER, department=dept_roads)
    with on_commit():
        services.complaint_assign(complaint=working, actor=manager_roads, assignee=other_officer)
    assert recipients("complaint_assigned") == {other_officer.pk, citizen.pk}
    assert manager_roads.pk not in recipients()


def test_starting_work_tells_the_citizen_only(on_commit, citizen, dispatcher, dept_roads, officer_roads):
    with on_commit():
        complaint = file_complaint(citizen)
        complaint = services.complaint_triage(complaint=complaint, actor=dispatcher, department=dept_roads)
    Notification.objects.all().delete()
    with on_commit():
        services.complaint_start(complaint=complaint, actor=officer_roads)
    assert inbox() == {citizen.pk: ["complaint_started"]}


def test_resolving_tells_the_citizen_what_was_done_and_how_to_reopen_or_close(
    on_commit, working, citizen, officer_roads
):
    with on_commit():
        services.complaint_resolve(complaint=working, actor=officer_roads, note="Filled with asphalt.")
    assert inbox() == {citizen.pk: ["complaint_resolved"]}
    body = Notification.objects.get().body
    assert "Filled with asphalt." in body
    assert "reopen" in body and "7 days" in body


def test_closing_tells_the_department_manager_and_the_assignee_not_the_citizen(
    on_commit, working, citizen, officer_roads, manager_roads
):
    with on_commit():
        services.complaint_resolve(complaint=working, actor=officer_roads, note="Done.")
    Notification.objects.all().delete()
    with on_commit():
        services.complaint_close(complaint=working, actor=citizen, rating=4, comment="Thanks")
    assert recipients("complaint_closed") == {manager_roads.pk, officer_roads.pk}
    assert citizen.pk not in recipients()
    assert "4/5" in Notification.objects.filter(recipient=manager_roads).get().body


def test_reopening_tells_the_department_manager_and_the_assignee(
    on_commit, working, citizen, officer_roads, manager_roads
):
    with on_commit():
        services.complaint_resolve(complaint=working, actor=officer_roads, note="Done.")
    Notification.objects.all().delete()
    with on_commit():
        services.complaint_reopen(complaint=working, actor=citizen, reason="Still a hole.")
    assert recipients("complaint_reopened") == {manager_roads.pk, officer_roads.pk}
    assert citizen.pk not in recipients()


def test_rejecting_tells_the_citizen_with_the_reason(on_commit, citizen, dispatcher, closure_reason_spam):
    with on_commit():
        complaint = file_complaint(citizen)
    Notification.objects.all().delete()
    with on_commit():
        services.complaint_reject(complaint=complaint, actor=dispatcher, closure_reason=closure_reason_spam)
    assert inbox() == {citizen.pk: ["complaint_rejected"]}
    assert "Spam or abusive" in Notification.objects.get().body


def test_marking_a_duplicate_tells_the_citizen_which_complaint_it_duplicates(
    on_commit, citizen, other_citizen, dispatcher, closure_reason_duplicate
):
    with on_commit():
        original = file_complaint(other_citizen)
        copy = file_complaint(citizen)
    Notification.objects.all().delete()
    with on_commit():
        services.complaint_mark_duplicate(complaint=copy, actor=dispatcher, duplicate_of=original)
    assert inbox() == {citizen.pk: ["complaint_duplicate"]}
    assert original.reference in Notification.objects.get().body


def test_escalating_tells_the_citizen_the_receiving_manager_and_the_previous_assignee(
    on_commit, working, citizen, officer_roads, manager_public_works, admin_user, manager_roads
):
    with on_commit():
        services.complaint_escalate(complaint=working, actor=manager_roads, reason="Overdue by a week.")
    assert recipients("complaint_escalated") == {citizen.pk, manager_public_works.pk, officer_roads.pk}
    # Not at the top: admins are not bothered; the acting manager is not told about their own act.
    assert admin_user.pk not in recipients() and manager_roads.pk not in recipients()
    staff_text = Notification.objects.get(recipient=manager_public_works)
    assert "Public Works" in staff_text.body and "Overdue by a week." in staff_text.body


def test_escalating_at_the_top_of_the_tree_also_alerts_the_admins(
    on_commit, citizen, dispatcher, dept_corporation, admin_user, executive
):
    top_manager = UserFactory(role=Role.MANAGER, department=dept_corporation)
    dept_corporation.manager = top_manager
    dept_corporation.save(update_fields=["manager"])
    with on_commit():
        complaint = file_complaint(citizen)
        complaint = services.complaint_triage(complaint=complaint, actor=dispatcher, department=dept_corporation)
    Notification.objects.all().delete()
    with on_commit():
        services.complaint_escalate(complaint=complaint, actor=None, reason="SLA missed")
    assert recipients("complaint_escalated") == {citizen.pk, top_manager.pk, admin_user.pk}
    # Level 1 of the default policy does not tell executives.
    assert executive.pk not in recipients()


def test_escalation_notify_flags_of_the_policy_decide_who_hears(
    on_commit, working, citizen, officer_roads, manager_public_works, dept_public_works, executive
):
    from departments.models import EscalationStep

    EscalationStep.objects.create(
        department=dept_public_works, level=1, hours=24,
        notify_citizen=False, notify_assignee=False, notify_manager=True, notify_executives=True,
    )
    with on_commit():
        services.complaint_escalate(complaint=working, actor=None, reason="SLA missed")
    assert recipients("complaint_escalated") == {manager_public_works.pk, executive.pk}


def test_a_staff_reply_tells_the_citizen_and_a_citizen_reply_tells_the_assignee(
    on_commit, working, citizen, officer_roads
):
    with on_commit():
        services.comment_add(complaint=working, author=officer_roads, body="We will come on Monday.")
    assert inbox() == {citizen.pk: ["comment_added"]}
    assert "We will come on Monday." in Notification.objects.get().body
    Notification.objects.all().delete()

    with on_commit():
        services.comment_add(complaint=working, author=citizen, body="Thank you!")
    assert inbox() == {officer_roads.pk: ["comment_added"]}


def test_an_internal_note_reaches_the_assignee_only_and_never_the_citizen(
    on_commit, working, citizen, officer_roads, manager_roads
):
    with on_commit():
        services.comment_add(complaint=working, author=manager_roads, body="Check the budget.", is_internal=True)
    assert inbox() == {officer_roads.pk: ["internal_note_added"]}
    Notification.objects.all().delete()

    with on_commit():
        services.comment_add(complaint=working, author=officer_roads, body="Noted.", is_internal=True)
    assert inbox() == {}


def test_an_escalation_request_tells_the_manager_who_decides(
    on_commit, working, citizen, officer_roads, manager_public_works
):
    from complaints import services as escalation

    with on_commit():
        escalation.escalation_request_create(complaint=working, requested_by=citizen, reason="Nobody came.")
    assert inbox() == {manager_public_works.pk: ["escalation_requested"]}
    text = Notification.objects.get()
    assert "The citizen" in text.body and "Nobody came." in text.body and "Public Works" in text.body


def test_a_rejected_escalation_request_tells_the_requester_and_an_approval_escalates_with_its_notifications(
    on_commit, working, citizen, officer_roads, manager_public_works
):
    from complaints import services as escalation

    with on_commit():
        request = escalation.escalation_request_create(complaint=working, requested_by=officer_roads,
                                                       reason="Needs a bigger budget.")
    Notification.objects.all().delete()
    with on_commit():
        escalation.escalation_request_reject(escalation_request=request, actor=manager_public_works,
                                            note="Budget approved locally.")
    assert inbox() == {officer_roads.pk: ["escalation_decided"]}
    assert "rejected" in Notification.objects.get().title
    assert "Budget approved locally." in Notification.objects.get().body
    Notification.objects.all().delete()

    with on_commit():
        request = escalation.escalation_request_create(complaint=working, requested_by=citizen, reason="Still bad.")
    Notification.objects.all().delete()
    with on_commit():
        escalation.escalation_request_approve(escalation_request=request, actor=manager_public_works)
    assert recipients("complaint_escalated") == {citizen.pk, officer_roads.pk}


def test_supporting_a_complaint_notifies_nobody(on_commit, working, other_citizen):
    with on_commit():
        services.complaint_support(complaint=working, user=other_citizen)
    assert inbox() == {}


def test_the_actor_is_never_notified_along_a_whole_lifecycle(
    on_commit, citizen, dispatcher, dept_roads, officer_roads, manager_roads, closure_reason_spam
):
    with on_commit():
        complaint = file_complaint(citizen)
    Notification.objects.all().delete()
    steps = [
        (dispatcher, lambda: services.complaint_triage(complaint=complaint, actor=dispatcher, department=dept_roads)),
        (manager_roads, lambda: services.complaint_assign(complaint=complaint, actor=manager_roads,
                                                          assignee=officer_roads)),
        (officer_roads, lambda: services.comment_add(complaint=complaint, author=officer_roads, body="On it")),
        (citizen, lambda: services.comment_add(complaint=complaint, author=citizen, body="Thanks")),
        (officer_roads, lambda: services.complaint_resolve(complaint=complaint, actor=officer_roads, note="Done")),
        (citizen, lambda: services.complaint_reopen(complaint=complaint, actor=citizen, reason="Not done")),
        (manager_roads, lambda: services.complaint_escalate(complaint=complaint, actor=manager_roads, reason="x")),
    ]
    for actor, step in steps:
        before = Notification.objects.count()
        with on_commit():
            step()
        new = Notification.objects.order_by("id")[before:]
        assert new, f"{step} notified nobody"
        assert actor.pk not in {n.recipient_id for n in new}


def test_a_hindi_speaking_citizen_gets_the_hindi_text_and_staff_get_their_own_language(
    on_commit, citizen, category_infrastructure, category_potholes, sla_default, manager_roads
):
    citizen.preferred_language = "hi"
    citizen.save(update_fields=["preferred_language"])
    with on_commit():
        complaint = file_complaint(citizen, category=category_infrastructure, subcategory=category_potholes)
    hindi = Notification.objects.get(recipient=citizen)
    assert "शिकायत" in hindi.title and complaint.reference in hindi.title
    english = Notification.objects.get(recipient=manager_roads)
    assert english.title.startswith("New complaint")
    assert any(m.to == citizen.phone and "शिकायत" in m.body for m in sms.outbox)


def test_notifying_an_event_runs_a_fixed_number_of_queries(
    on_commit, working, citizen, officer_roads, manager_roads, manager_public_works, django_assert_max_num_queries
):
    from complaints.models import ComplaintEvent
    from complaints.notifications import notify_event

    with on_commit():
        services.complaint_escalate(complaint=working, actor=manager_roads, reason="Overdue")
    Notification.objects.all().delete()
    NotificationDelivery.objects.all().delete()
    event = ComplaintEvent.objects.filter(action="escalate").get()
    # event, escalation + policy steps, then one engine call for both texts (citizen, staff): users,
    # keyed insert, read-back, deliveries, in a savepoint: 3 + 6, whatever the recipients; and one
    # query of messaging's delivery filter (does a chat follow this complaint?).
    with django_assert_max_num_queries(10):
        created = notify_event(event_id=event.pk)
    assert len(created) == 3


def test_a_failing_hook_never_breaks_the_complaint_change(on_commit, citizen, monkeypatch):
    from complaints import notifications, outbox
    from complaints.models import ComplaintEvent

    def explode(event_ids):
        raise RuntimeError("template missing")

    outbox.register_consumer("complaints.notifications", explode)
    try:
        with on_commit():
            complaint = file_complaint(citizen)
    finally:
        outbox.register_consumer("complaints.notifications", notifications.notify_events)
    assert complaint.pk and Notification.objects.count() == 0
    # The event waits in the outbox for the sweep.
    assert ComplaintEvent.objects.get(complaint=complaint).dispatched_at is None


# --- the outbox consumer: notify_events -------------------------------------------------------
@pytest.fixture
def scheduled(monkeypatch):
    """Every delivery id handed to Celery (after commit), in order."""
    from notifications import services as engine

    queued: list[int] = []
    real = engine.schedule_deliveries

    def record(delivery_ids):
        queued.extend(delivery_ids)
        return real(delivery_ids)

    monkeypatch.setattr(engine, "schedule_deliveries", record)
    return queued


def events_without_notifications(django_capture_on_commit_callbacks, make_events):
    """Run `make_events` with the on-commit hooks dropped: events committed, nobody notified yet."""
    from complaints.models import ComplaintEvent

    before = set(ComplaintEvent.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=False):
        make_events()
    return list(ComplaintEvent.objects.exclude(pk__in=before).order_by("id").values_list("pk", flat=True))


def test_an_event_handed_over_twice_notifies_once_and_queues_each_delivery_once(
    django_capture_on_commit_callbacks, working, officer_roads, citizen, scheduled
):
    from complaints.notifications import notify_events

    [event_id] = events_without_notifications(
        django_capture_on_commit_callbacks,
        lambda: services.complaint_resolve(complaint=working, actor=officer_roads, note="Filled"),
    )
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify_events([event_id, event_id])
    with django_capture_on_commit_callbacks(execute=True):
        notify_events([event_id])

    [notification] = Notification.objects.filter(recipient=citizen)
    assert notification.dedupe_key == f"complaint-event:{event_id}"
    deliveries = NotificationDelivery.objects.filter(notification=notification)
    assert sorted(deliveries.values_list("channel", "status")) == [("email", "sent"), ("sms", "sent")]
    assert sorted(scheduled) == sorted(deliveries.values_list("pk", flat=True))
    assert [m.to for m in sms.outbox].count(citizen.phone) == 1


def test_events_handed_over_out_of_order_and_repeated_notify_each_person_once(
    django_capture_on_commit_callbacks, working, officer_roads, citizen, manager_roads
):
    from complaints.notifications import notify_events

    ids = events_without_notifications(django_capture_on_commit_callbacks, lambda: (
        services.comment_add(complaint=working, author=officer_roads, body="Coming Monday."),
        services.complaint_resolve(complaint=working, actor=officer_roads, note="Filled"),
    ))
    notify_events(list(reversed(ids)))
    notify_events(ids + ids)
    assert inbox() == {citizen.pk: ["comment_added", "complaint_resolved"]}


def test_a_batch_of_many_events_is_notified_in_a_fixed_number_of_queries(
    django_capture_on_commit_callbacks, citizen, other_citizen, category_potholes, dispatcher, officer_roads,
    manager_roads, manager_public_works, admin_user, executive, django_assert_max_num_queries
):
    from complaints.notifications import notify_events

    def work(person):
        complaint = in_progress_complaint(person, category=category_potholes, dispatcher=dispatcher,
                                          officer=officer_roads)
        services.comment_add(complaint=complaint, author=person, body="Any news?")
        services.comment_add(complaint=complaint, author=officer_roads, body="Internal", is_internal=True)
        services.complaint_escalate(complaint=complaint, actor=manager_roads, reason="Overdue")
        services.complaint_resolve(complaint=complaint, actor=manager_public_works, note="Done")

    few = events_without_notifications(django_capture_on_commit_callbacks, lambda: work(citizen))
    many = events_without_notifications(
        django_capture_on_commit_callbacks,
        lambda: [work(person) for person in [other_citizen] + [UserFactory(role=Role.CITIZEN) for _ in range(4)]],
    )
    assert len(many) == 5 * len(few) and len(few) >= 7
    # events; escalations with their policies; requests; then users, notification insert,
    # read-back, delivery insert; plus the savepoint pair.
    with django_assert_max_num_queries(10) as small:
        notify_events(few)
    with django_assert_max_num_queries(len(small.captured_queries)):
        notify_events(many)
    assert len(recipients("complaint_escalated")) >= 6 and Notification.objects.count() > 5 * len(few)


def test_the_escalate_event_says_whether_the_top_was_reached_and_old_rows_are_inferred():
    from complaints.models import ComplaintEvent
    from complaints.notifications import reached_top

    moved = {"department": [1, 2], "escalation_level": [0, 1]}
    assert reached_top(ComplaintEvent(action="escalate", changes={**moved, "reached_top": True})) is True
    assert reached_top(ComplaintEvent(action="escalate", changes={"reached_top": False})) is False
    # Rows written before the flag: the complaint stayed put exactly when it was at the top.
    assert reached_top(ComplaintEvent(action="escalate", changes=moved)) is False
    assert reached_top(ComplaintEvent(action="escalate", changes={"escalation_level": [0, 1]})) is True


def test_an_escalation_recorded_as_reaching_the_top_alerts_the_admins(
    django_capture_on_commit_callbacks, working, manager_roads, admin_user, manager_public_works
):
    from complaints.models import ComplaintEvent
    from complaints.notifications import notify_events

    [event_id, *_] = events_without_notifications(
        django_capture_on_commit_callbacks,
        lambda: services.complaint_escalate(complaint=working, actor=manager_roads, reason="Overdue"),
    )
    event = ComplaintEvent.objects.get(pk=event_id)
    event.changes["reached_top"] = True  # what complaint_escalate records when nobody is above
    event.save(update_fields=["changes"])
    notify_events([event_id])
    assert admin_user.pk in recipients("complaint_escalated")
