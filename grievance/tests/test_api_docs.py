def test_openapi_schema_is_served(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]


def test_swagger_and_redoc_pages_load(client, db):
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200


def test_api_root_lists_entry_points(api_client, db):
    response = api_client.get("/api/v1/")
    assert response.status_code == 200
    assert response.json()["auth"]["token"].endswith("/api/v1/auth/token/")


def test_unknown_api_path_is_a_json_404_not_a_500(api_client, db):
    assert api_client.get("/api/v1/nope/").status_code == 404


def test_api_root_links_to_every_resource_that_exists(api_client, db):
    body = api_client.get("/api/v1/").json()
    for key in ("users", "departments", "categories", "complaints", "ai_intake"):
        assert body[key].startswith("http://testserver/api/v1/"), key
    assert body["auth"]["otp_request"].endswith("/api/v1/auth/otp/request/")
