"""`make ui` end to end: submit through the API, the sensor under the real daemon starts the run, the status
endpoint follows it to a playable final video; the request runs once even when the sensor's cursor is reset."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from tests.support import RUNS_BY_REQUEST, SERVICE_USER, Service, wait
from vidgen_core.adapters.ffmpeg.probe import probe

pytestmark = pytest.mark.slow  # the whole service in subprocesses

SENSOR = {"repositoryLocationName": "vidgen", "repositoryName": "__repository__", "sensorName": "video_requests"}
TICKS = """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) {
  ... on Sensor { sensorState { status ticks(limit: 1) { timestamp } } } } }"""
RESET = """mutation($s: SensorSelector!) { setSensorCursor(sensorSelector: $s, cursor: null) { __typename } }"""
JOB = {"repositoryLocationName": "vidgen", "repositoryName": "__repository__", "pipelineName": "generate_video"}
DEFAULT_CONFIG = """query($j: PipelineSelector!) { runConfigSchemaOrError(selector: $j) {
  ... on RunConfigSchema { rootDefaultYaml } } }"""
VALID = """query($j: PipelineSelector!, $c: RunConfigData!) { runConfigSchemaOrError(selector: $j) {
  ... on RunConfigSchema { isRunConfigValid(runConfigData: $c) { __typename } } } }"""
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
PARTITION_META = """query($p: String!) { assetOrError(assetKey: {path: ["video_spec"]}) { ... on Asset {
  assetMaterializations(partitions: [$p], limit: 1) {
    metadataEntries { label ... on TextMetadataEntry { text } } } } } }"""


def test_submit_to_final_through_the_service(service: Service, finished: dict, tmp_path: Path) -> None:
    status, run = finished["status"], finished["run"]
    assert status["status"] == "complete", status
    assert {t["key"]: t["value"] for t in run["tags"]}["dagster/partition"] == finished["video_id"]
    assert {t["key"]: t["value"] for t in run["tags"]}["dagster/run_key"] == finished["request_id"]
    tags = {t["key"]: t["value"] for t in run["tags"]}  # the runs list names the video and its owner
    assert (tags["vidgen/title"], tags["vidgen/user"]) == ("Create a 5-second Nike ad", SERVICE_USER)
    assert ("queued", None) in finished["seen"] or finished["seen"][0][0] != "complete"  # it was followed, not found
    client = DagsterGraphQLClient("127.0.0.1", port_number=int(service.ui.rsplit(":", 1)[1]))
    assert client.get_run_status(run["runId"]) == DagsterRunStatus.SUCCESS
    final = httpx.get(status["final_video_url"])
    assert final.status_code == 200 and final.headers["content-type"] == "video/mp4"
    (tmp_path / "final.mp4").write_bytes(final.content)
    info = probe(tmp_path / "final.mp4")
    assert info.duration_s == pytest.approx(5.0, abs=0.1) and info.has_audio and info.width > info.height
    stored = service.home / "vidgen" / "storage" / SERVICE_USER / "videos" / finished["video_id"] / "final.mp4"
    assert stored.is_file()


def test_a_reset_cursor_does_not_run_a_request_twice(service: Service, finished: dict) -> None:
    assert service.graphql(RESET, {"s": SENSOR})["setSensorCursor"]["__typename"] == "Sensor"
    last = service.graphql(TICKS, {"s": SENSOR})["sensorOrError"]["sensorState"]["ticks"][0]["timestamp"]
    for _ in range(2):  # two full ticks after the reset
        last = wait("a sensor tick", 30, lambda t=last: (ts := service.graphql(TICKS, {"s": SENSOR})["sensorOrError"]
                      ["sensorState"]["ticks"][0]["timestamp"]) > t and ts)  # fmt: skip
    runs = service.graphql(RUNS_BY_REQUEST, {"tag": finished["request_id"]})["runsOrError"]["results"]
    assert len(runs) == 1


def test_the_launchpads_scaffolded_config_runs_a_picked_partition_as_it_is(service: Service, finished: dict) -> None:
    default = service.graphql(DEFAULT_CONFIG, {"j": JOB})["runConfigSchemaOrError"]["rootDefaultYaml"]
    config = yaml.safe_load(default)
    # nothing to fill in or delete before launching (no `prompt: ''`, no `home: ''`): where media and rows go, and
    # the settings the provider calls use
    assert set(config) == {"resources"} and set(config["resources"]) == {"store", "db", "providers", "ffmpeg"}, default
    assert "home" not in config["resources"]["providers"]["config"]
    assert config["resources"]["providers"]["config"]["openai_model"] == "gpt-4o"
    assert config["resources"]["ffmpeg"]["config"]["audio_bitrate"] == "256k"  # how the master's sound is encoded
    shown = config["resources"]
    assert shown["store"]["config"]["root"] == str(service.home / "vidgen" / "storage")
    assert shown["db"]["config"]["url"] == f"sqlite:///{service.home / 'vidgen' / 'vidgen.db'}"
    valid = service.graphql(VALID, {"j": JOB, "c": config})["runConfigSchemaOrError"]["isRunConfigValid"]
    assert valid["__typename"] == "PipelineConfigValidationValid"
    params = {"selector": JOB, "runConfigData": config,
              "executionMetadata": {"tags": [{"key": "dagster/partition", "value": finished["video_id"]}]}}  # fmt: skip
    launched = service.graphql(LAUNCH, {"p": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    client = DagsterGraphQLClient("127.0.0.1", port_number=int(service.ui.rsplit(":", 1)[1]))
    ended = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
    run_id = launched["run"]["runId"]
    status = wait("the launchpad's run", 180, lambda: (now := client.get_run_status(run_id)) in ended and now)
    assert status == DagsterRunStatus.SUCCESS
    shown = service.graphql(PARTITION_META, {"p": finished["video_id"]})["assetOrError"]["assetMaterializations"]
    meta = {e["label"]: e.get("text") for e in shown[0]["metadataEntries"]}  # what the partition's page lists
    assert (meta["title"], meta["user"]) == ("Create a 5-second Nike ad", SERVICE_USER)
