"""The per-process shortcuts of issue 11 behave exactly like what they replace:
`grievance.compiled` (querysets compiled once per shape) and `grievance.api.serializers.CopiedFields`."""

import copy
import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework import serializers

from accounts.models import Role
from accounts.tests.factories import UserFactory
from complaints.api.serializers import ComplaintCreateSerializer
from complaints.models import Complaint
from complaints.selectors import NEWEST_FIRST, VisibleRows, visible_row
from complaints.tests.factories import file_complaint
from grievance import compiled
from grievance.api.serializers import CopiedFields, unbound_copy

pytestmark = pytest.mark.django_db


# --- compiled once per shape ---------------------------------------------------------------------
def test_each_call_runs_with_its_own_arguments_not_the_first_calls(citizen, category_infrastructure, sla_default):
    other = UserFactory(role=Role.CITIZEN)
    mine = [file_complaint(citizen, title=f"Mine {n}") for n in range(3)]
    theirs = [file_complaint(other, title=f"Theirs {n}") for n in range(2)]
    names = ("id", "title", "citizen_id")
    for user, expected in ((citizen, mine), (other, theirs), (citizen, mine)):
        rows = VisibleRows(user, names)
        assert rows.count() == len(expected)
        listed = rows[0:10]
        reference = Complaint.objects.visible_to(user).order_by(*NEWEST_FIRST).values(*names)
        assert listed == list(reference)
        assert {row["id"] for row in listed} == {c.pk for c in expected}
    # Paging: LIMIT/OFFSET are parameters, every page from the same statement.
    assert [row["id"] for row in VisibleRows(citizen, names)[1:3]] == [c.pk for c in reversed(mine)][1:3]


def test_one_row_by_id_or_reference_through_the_gate(citizen, dispatcher, officer_roads, category_potholes):
    complaint = file_complaint(citizen, title="Pothole")
    names = ("id", "reference", "citizen__full_name")
    assert visible_row(citizen, complaint.reference.lower(), names)["id"] == complaint.pk
    assert visible_row(citizen, str(complaint.pk), names)["citizen__full_name"] == citizen.full_name
    assert visible_row(dispatcher, complaint.reference, names)["id"] == complaint.pk
    stranger = UserFactory(role=Role.CITIZEN)
    assert visible_row(stranger, complaint.reference, names) is None  # not theirs: as if absent
    assert visible_row(officer_roads, complaint.reference, names) is None  # not in their department
    assert visible_row(citizen, "GRV-2020-999999", names) is None


def test_converters_apply_as_the_orm_applies_them(citizen, dispatcher):
    complaint = file_complaint(citizen, title="With metadata")
    Complaint.objects.filter(pk=complaint.pk).update(metadata={"call": "c-1", "n": [1, 2]})
    row = visible_row(dispatcher, complaint.reference, ("metadata", "created_at"))
    assert row["metadata"] == {"call": "c-1", "n": [1, 2]}
    assert isinstance(row["created_at"], dt.datetime) and timezone.is_aware(row["created_at"])


def test_a_build_whose_argument_never_reaches_the_parameters_is_refused():
    with pytest.raises(compiled.CompileError):
        compiled.compiled(("test.ignored",), lambda pk: Complaint.objects.values_list("id"), [1])
    with pytest.raises(compiled.CompileError):  # only ints and strings have sentinels
        compiled.compiled(("test.float",), lambda x: Complaint.objects.filter(pk=x).values_list("id"), [1.5])


def test_a_transformed_argument_is_refused_not_run_stale():
    # The build lower-cases its argument: the sentinel never reaches the parameters as given.
    with pytest.raises(compiled.CompileError):
        compiled.compiled(
            ("test.lowered",), lambda ref: Complaint.objects.filter(reference=ref.lower()).values_list("id"), ["GRV"]
        )


# --- unbound field copies ------------------------------------------------------------------------
class DeepCopied(ComplaintCreateSerializer):
    """DRF's own behaviour: every declared field deep-copied per instance."""

    def get_fields(self):
        return copy.deepcopy(self._declared_fields)


@pytest.mark.parametrize(
    "data",
    [
        {"title": "No water", "description": "Dry for days", "latitude": "28.6", "longitude": "77.2"},
        {"title": "", "description": "x" * 6000, "latitude": "95", "priority": "urgent!", "source": 3},
        {"title": "  padded  ", "description": "ok", "language": None, "address": "a" * 301, "ward": ["w"]},
        {"title": "x\x00y", "description": "\ud800", "citizen_phone": "not a phone", "longitude": "abc"},
        {},
    ],
)
def test_copied_fields_validate_exactly_like_deep_copies(data, citizen, category_water_leak):
    context = {"request": SimpleNamespace(user=citizen)}
    ours, drf = ComplaintCreateSerializer(data=data, context=context), DeepCopied(data=data, context=context)
    assert ours.is_valid() == drf.is_valid()
    assert ours.errors == drf.errors
    assert ours.validated_data == drf.validated_data if not ours.errors else True


def test_binding_a_copy_leaves_the_declared_field_and_other_copies_alone():
    first, second = ComplaintCreateSerializer(data={}), ComplaintCreateSerializer(data={})
    assert first.fields["title"] is not second.fields["title"]
    assert first.fields["title"].parent is first and second.fields["title"].parent is second
    declared = ComplaintCreateSerializer._declared_fields["title"]
    assert declared.parent is None and declared.field_name is None and declared.source is None


def test_fields_holding_fields_are_deep_copied():
    class WithChildren(CopiedFields, serializers.Serializer):
        tags = serializers.ListField(child=serializers.CharField(max_length=3))

    template = WithChildren._declared_fields["tags"]
    copied = unbound_copy(template)
    assert copied is not template and copied.child is not template.child
    serializer = WithChildren(data={"tags": ["abcd"]})
    assert not serializer.is_valid() and "tags" in serializer.errors


# --- INSERT written once -------------------------------------------------------------------------
def test_insert_saves_what_save_saves(citizen, category_water_leak, sla_default):
    from complaints.models import ComplaintEvent
    from grievance.compiled import insert

    complaint = file_complaint(citizen, title="Original")
    made = [ComplaintEvent(complaint=complaint, actor=citizen, action="commented", note="n", changes={"a": [1]})]
    made.append(ComplaintEvent(complaint=complaint, actor=None, action="commented", note="n", changes={"a": [1]}))
    insert(made[0])
    made[1].save()
    ours, django = (ComplaintEvent.objects.get(pk=event.pk) for event in made)
    assert ours.pk and not made[0]._state.adding and made[0]._state.db == "default"
    skip = ("id", "created_at", "actor_id")
    fields = [f.attname for f in ComplaintEvent._meta.concrete_fields if f.attname not in skip]
    assert [getattr(ours, f) for f in fields] == [getattr(django, f) for f in fields]
    assert ours.created_at is not None and ours.actor_id == citizen.pk  # auto_now_add ran, the FK went in
    # Unsaved related objects are refused as by save().
    with pytest.raises(ValueError):
        insert(ComplaintEvent(complaint=Complaint(title="unsaved"), action="commented"))


def test_insert_leaves_models_with_save_signals_to_save(monkeypatch, db):
    from django.db.models.signals import post_save

    from departments.models import ClosureReason
    from grievance.compiled import insert

    seen = []

    def listener(sender, instance, created, **kwargs):
        seen.append((instance.code, created))

    post_save.connect(listener, sender=ClosureReason)
    try:
        insert(ClosureReason(code="gone-away", name="Gone away"))
    finally:
        post_save.disconnect(listener, sender=ClosureReason)
    assert seen == [("gone-away", True)]


# --- remembered content negotiation --------------------------------------------------------------
@pytest.mark.parametrize("repeat", [1, 2])  # the second pass answers from memory
@pytest.mark.parametrize(
    "accept, fmt",
    [
        ("application/json", None),
        ("*/*", None),
        (None, None),
        ("text/html", None),
        ("application/json; indent=4", None),
        ("text/html;q=0.5, application/json", None),
        ("application/*", None),
        ("*/*", "json"),
        ("*/*", "api"),
    ],
)
def test_remembered_negotiation_answers_as_drf_does(accept, fmt, repeat):
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from grievance.api.negotiation import RememberedContentNegotiation

    headers = {"HTTP_ACCEPT": accept} if accept else {}
    raw = APIRequestFactory().get("/api/v1/complaints/", {"format": fmt} if fmt else {}, **headers)
    renderers = [JSONRenderer(), BrowsableAPIRenderer()]
    expected = DefaultContentNegotiation().select_renderer(Request(raw), renderers)
    for _ in range(repeat):
        got = RememberedContentNegotiation().select_renderer(Request(raw), renderers)
        assert (got[0] is expected[0], got[1]) == (True, expected[1])


def test_remembered_negotiation_still_refuses_what_drf_refuses():
    from rest_framework.exceptions import NotAcceptable
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from grievance.api.negotiation import RememberedContentNegotiation

    raw = APIRequestFactory().get("/api/v1/complaints/", HTTP_ACCEPT="image/png")
    for _ in range(2):
        with pytest.raises(NotAcceptable):
            RememberedContentNegotiation().select_renderer(Request(raw), [JSONRenderer()])
