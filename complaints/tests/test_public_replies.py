"""Staff's public replies reach the public track page and API; internal notes, citizens' own words
and the names of who wrote them never do."""

from django.test import Client

from complaints import services


def test_staff_public_replies_show_on_tracking_without_names_or_internal_notes(
    pothole, citizen, officer_roads, api_client
):
    services.comment_add(complaint=pothole, author=officer_roads, body="Crew booked for Tuesday.")
    services.comment_add(complaint=pothole, author=officer_roads, body="Contractor is slow", is_internal=True)
    services.comment_add(complaint=pothole, author=citizen, body="My number is 98100 12345")

    api = api_client.get(f"/api/v1/track/{pothole.reference}/")
    assert api.status_code == 200
    assert [reply["body"] for reply in api.json()["replies"]] == ["Crew booked for Tuesday."]
    assert set(api.json()["replies"][0]) == {"body", "created_at"}

    page = Client().get(f"/track/{pothole.reference}/").content.decode()
    assert "Crew booked for Tuesday." in page
    for private in ("Contractor is slow", "98100 12345", officer_roads.full_name, citizen.full_name):
        assert private not in page and private not in api.content.decode()


def test_a_complaint_without_replies_has_an_empty_list(pothole, api_client):
    assert api_client.get(f"/api/v1/track/{pothole.reference}/").json()["replies"] == []
