"""A Dagster webserver's GraphQL endpoint that answers every backfill launch the same way and keeps what it got."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.server import FakeServer, Reply, json_reply

LAUNCHED = {"__typename": "LaunchBackfillSuccess", "backfillId": "abcdefgh"}
REFUSED = {
    "__typename": "PythonError",
    "message": "dagster._core.errors.DagsterInvariantViolationError: the code location is reloading",
}


class FakeWebserver(FakeServer):
    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__()
        self.answer: dict[str, Any] = answer
        self.launched: list[dict[str, Any]] = []

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        self.launched.append(json.loads(body)["variables"]["p"])
        return json_reply(200, {"data": {"launchPartitionBackfill": self.answer}})
