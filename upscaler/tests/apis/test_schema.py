"""The OpenAPI schema: valid, served with local Swagger UI assets, and fuzzed by schemathesis
(token-authenticated, a bounded number of examples) without a single server error."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from upscaler.integrations import url_fetch
from upscaler.services.tokens import api_token_create

pytestmark = pytest.mark.django_db

# Per operation; there are 10 operations, so a few hundred requests in all.
MAX_EXAMPLES = 30


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/submissions/", "/api/v1/submissions/{submission_id}/", "/api/v1/models/",
            "/api/v1/submissions/{submission_id}/cancel/", "/api/v1/submissions/{submission_id}/results/"} <= set(paths)
    assert schema.json()["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Swagger UI comes from this server (drf-spectacular-sidecar), not from a CDN.
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


@pytest.fixture
def api_schema(db):
    # As Django's test client does: requests must not close the test's database connection.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def fuzz_key(db, django_user_model, settings, monkeypatch):
    settings.UPSCALER_API_THROTTLE_RATES = {"user": "100000/min", "anon": "100000/min", "submit": "100000/min"}

    def no_dns(host, port):  # generated URLs must not reach the network
        raise OSError("no DNS in tests")

    monkeypatch.setattr(url_fetch, "resolve", no_dns)
    user = django_user_model.objects.create_user("fuzzer")
    return api_token_create(user=user, name="schemathesis")[1]


def test_fuzzing_finds_no_server_error(api_schema, fuzz_key):
    """Every operation, with valid and invalid inputs (schemathesis' own pytest plugin does not
    support this pytest, so the operations are driven with hypothesis directly)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    tried = {}
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @settings(max_examples=MAX_EXAMPLES, deadline=5000, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            label = case.operation.label
            headers = {**(case.headers or {}), "Authorization": f"Token {fuzz_key}"}
            response = case.call(headers=headers)
            tried[label] = tried.get(label, 0) + 1
            assert response.status_code < 500, (label, response.status_code, response.text[:500])

        run()
    assert all(count > 0 for count in tried.values()) and len(tried) == len(operations)
