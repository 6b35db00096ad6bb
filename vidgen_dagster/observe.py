"""The video's request and its beats' current takes (and line takes) as an external asset, so a take that changes
makes the assets it feeds show as stale in the UI. Each partition's data version is a hash of the request and takes,
reported as a runless observation whenever it changes (a new take, a request stored from the launchpad), so nothing
needs an "Observe" click to see it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import dagster as dg

from vidgen_core.persistence.requests import RequestDB, RequestRecord
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.pipeline.registry import Source
from vidgen_dagster.partitions import videos
from vidgen_dagster.runs import DATA_VERSION_TAG
from vidgen_dagster.steps import content_version

VIDEO_REQUEST = dg.AssetKey(Source.VIDEO_REQUEST.value)
# Dagster's tags for an input's version in a materialization (the literal strings; its constants are private).
INPUT_VERSION_TAG, INPUT_POINTER_TAG = "dagster/input_data_version", "dagster/input_event_pointer"

video_request = dg.AssetSpec(VIDEO_REQUEST, partitions_def=videos, group_name="video_ad", description=__doc__)


@dataclass(frozen=True)
class Reported:
    """A video's request version as the event log holds it: the version and its observation's storage id."""

    version: str
    storage_id: int

    def input_tags(self) -> dict[str, str]:
        """The tags with which a materialization says it was made from this version. Dagster reads its inputs'
        versions when a step starts; the plan's step may change the version itself (a launchpad take, a request
        stored from the launchpad), so it names the version it really used."""
        key = VIDEO_REQUEST.to_user_string()
        return {f"{INPUT_VERSION_TAG}/{key}": self.version, f"{INPUT_POINTER_TAG}/{key}": str(self.storage_id)}


def request_version(record: RequestRecord, db: RequestDB) -> str:
    """What the plan and the beats of a video depend on: its request and each beat's current take and line take
    (a video without line takes, or takes for some aspects only, keeps the version it had before there were any)."""
    takes, lines = (
        [
            t.model_dump(mode="json", exclude={"created_at"} | ({"aspects"} if t.aspects is None else set()))
            for t in table(db.url).current(record.video_id)
        ]
        for table in (TakeDB, LineTakeDB)
    )
    said = [json.dumps(lines)] if lines else []
    return content_version(json.dumps(record.request.plan_inputs(), sort_keys=True), json.dumps(takes), *said)


def _latest(instance: dg.DagsterInstance, video_id: str) -> Reported | None:
    records = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=VIDEO_REQUEST, asset_partitions=[video_id]), limit=1
    ).records
    observation = records[0].asset_observation if records else None
    if observation is None or DATA_VERSION_TAG not in observation.tags:
        return None
    return Reported(observation.tags[DATA_VERSION_TAG], records[0].storage_id)


def report_request_version(instance: dg.DagsterInstance, db: RequestDB, video_id: str) -> Reported | None:
    """Record the video's current request version if it changed (a new take, a request stored by the plan's step);
    returns the version the event log now holds (None: no stored request)."""
    record = db.find(video_id)
    if record is None:
        return None
    version = request_version(record, db)
    latest = _latest(instance, video_id)
    if latest is not None and latest.version == version:
        return latest
    observation = dg.AssetObservation(
        asset_key=VIDEO_REQUEST,
        partition=video_id,
        tags={DATA_VERSION_TAG: version},
        metadata={"title": record.title, "user": record.user_id},  # the partition is a bare id
    )
    instance.report_runless_asset_event(observation)
    return _latest(instance, video_id)
