"""citizen_get_or_create_by_email: intake channels that know a reporter by email only."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role, User
from accounts.services import citizen_get_or_create_by_email

pytestmark = pytest.mark.django_db


def test_a_new_address_makes_a_citizen_without_a_password():
    user, created = citizen_get_or_create_by_email(email=" Mira@Example.ORG ", full_name="Mira")
    assert created and user.role == Role.CITIZEN and user.email == "mira@example.org"
    assert user.phone is None and not user.has_usable_password() and user.full_name == "Mira"


def test_a_known_address_in_any_case_is_the_same_user(citizen):
    user, created = citizen_get_or_create_by_email(email=citizen.email.upper())
    assert (user, created) == (citizen, False)
    assert User.objects.count() == 1


@pytest.mark.parametrize("email", ["", "not-an-address", "a" * 250 + "@example.org"])
def test_a_bad_address_is_a_validation_error_on_email(email):
    with pytest.raises(ValidationError) as raised:
        citizen_get_or_create_by_email(email=email)
    assert raised.value.message_dict == {"email": ["Enter a valid email address."]}
    assert not User.objects.exists()
