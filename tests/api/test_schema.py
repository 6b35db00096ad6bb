"""Schemathesis against the API's own OpenAPI schema, valid and invalid input: no 5xx, no answer off the schema."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from tests.support import KEYS, auth
from vidgen_core.settings import Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 30  # per operation, so the suite stays quick


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    home = tmp_path_factory.mktemp("schemathesis")
    keys = ",".join(f"{key}={user}" for user, key in KEYS.items())
    (home / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(home / "dagster")) as instance:
        app = create_app(Settings(home=home / "vidgen", api_keys=keys, max_active_per_user=1000), instance)
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def test_schema_lists_every_route(api_schema: BaseSchema) -> None:
    labels = {op.ok().label for op in api_schema.get_all_operations()}
    assert labels >= {"POST /api/generate", "GET /api/status/{video_id}", "GET /api/video/{video_id}",
                      "POST /api/upload", "GET /health"}  # fmt: skip


OPERATIONS = [
    "POST /api/generate",
    "GET /api/status/{video_id}",
    "GET /api/video/{video_id}",
    "POST /api/upload",
    "GET /api/files/{key}",
    "GET /api/previews/{key}",
    "POST /api/video/{video_id}/beats/{beat}/regenerate",
    "GET /api/videos",
]


@pytest.mark.parametrize(
    ("label", "mode"),
    [(label, GenerationMode.POSITIVE) for label in OPERATIONS]
    + [pytest.param(label, GenerationMode.NEGATIVE, marks=pytest.mark.slow) for label in OPERATIONS]
    + [("GET /health", GenerationMode.POSITIVE)],
)
def test_operation_conforms_to_the_schema(api_schema: BaseSchema, label: str, mode: GenerationMode) -> None:
    # (schemathesis' own pytest plugin does not run on pytest 9, so hypothesis drives its strategies directly)
    operation = next(op.ok() for op in api_schema.get_all_operations() if op.ok().label == label)

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=auth("ana"), checks=CHECKS)

    conforms()
