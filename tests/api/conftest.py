"""An API app on a temporary vidgen home and Dagster instance, with two users."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from tests.support import KEYS, ORIGIN
from vidgen_core.settings import Settings


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    keys = ",".join(f"{key}={user}" for user, key in KEYS.items())
    return Settings(home=settings.home, api_keys=keys, cors_origins=[ORIGIN])


@pytest.fixture
def app(api_settings: Settings, instance: dg.DagsterInstance) -> FastAPI:
    return create_app(api_settings, instance)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c
