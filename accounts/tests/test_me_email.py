"""PATCH /auth/me/ never sets an unverified email and never tells whether an email is registered
(issue 10, finding 10)."""

import pytest

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_the_answer_is_the_same_for_a_registered_and_a_free_email(auth_client, citizen, make_user):
    make_user(role=Role.OFFICER, email="taken@city.gov")
    taken = auth_client(citizen).patch("/api/v1/auth/me/", {"email": "taken@city.gov"}, format="json")
    free = auth_client(citizen).patch("/api/v1/auth/me/", {"email": "free@example.org"}, format="json")
    assert taken.status_code == free.status_code == 400
    assert taken.json() == free.json()


def test_an_email_is_never_set_without_verification(auth_client, citizen):
    auth_client(citizen).patch("/api/v1/auth/me/", {"email": "someone-else@example.org"}, format="json")
    citizen.refresh_from_db()
    assert citizen.email != "someone-else@example.org"


def test_sending_the_current_email_back_and_other_fields_still_work(auth_client, make_user):
    user = make_user(role=Role.OFFICER, email="me@city.gov")
    response = auth_client(user).patch(
        "/api/v1/auth/me/", {"email": "Me@City.gov", "full_name": "New Name"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "New Name"
