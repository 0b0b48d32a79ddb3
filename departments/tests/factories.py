import factory

from departments.models import Category, ClosureReason, Department, EscalationStep, Priority, SLAPolicy


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"Department {n}")
    parent = None
    contact_email = factory.LazyAttribute(lambda o: f"{o.code}@example.org")
    contact_phone = "+91 11 2345 6789"


class EscalationStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationStep

    department = factory.SubFactory(DepartmentFactory)
    level = 1
    hours = 48


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    name_hi = factory.Sequence(lambda n: f"श्रेणी {n}")
    parent = None
    default_department = None
    default_priority = Priority.MEDIUM


class SLAPolicyFactory(factory.django.DjangoModelFactory):
    """The default policy unless given a category and/or department."""

    class Meta:
        model = SLAPolicy

    category = None
    department = None
    hours_low = 168
    hours_medium = 72
    hours_high = 24
    hours_urgent = 6


class ClosureReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClosureReason
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"reason_{n}")
    name = factory.Sequence(lambda n: f"Reason {n}")
