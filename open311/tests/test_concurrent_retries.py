"""Two copies of one POST arriving at once (a client retrying on a timeout) file one complaint."""

import threading

import pytest
from django.db import connection
from django.test import Client

from complaints.models import Complaint
from open311.models import ServiceRequestToken


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_identical_posts_file_once_and_answer_the_same(pothole, sla_policy, open311_key):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    form = {
        "api_key": open311_key,
        "service_code": "pothole",
        "lat": "12.9716",
        "long": "77.5946",
        "phone": "+919812340009",
        "description": "Pothole",
        "device_id": "retrying-phone",
    }
    n = 6
    barrier = threading.Barrier(n)
    responses: list = []

    def post():
        try:
            barrier.wait()
            responses.append(Client().post("/open311/v2/requests.json", form))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.status_code for r in responses) == [200] * (n - 1) + [201]
    assert len({r.content for r in responses}) == 1
    assert Complaint.objects.count() == 1
    assert ServiceRequestToken.objects.count() == 1
