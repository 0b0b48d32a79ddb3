from django.db import OperationalError

from grievance import views


def test_health_reports_each_component_without_auth(client, db):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["components"] == {"database": "ok", "cache": "ok", "broker": "eager"}


def test_health_is_503_and_names_the_database_when_it_is_unreachable(client, db, monkeypatch):
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", BrokenConnection())
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["database"]
    assert body["components"]["database"] == "down"
    assert body["components"]["cache"] == "ok"


def test_health_names_the_broker_when_it_is_unreachable(client, db, celery_conf):
    celery_conf(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
