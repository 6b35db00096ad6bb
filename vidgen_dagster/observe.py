"""The video's request and its beats' current takes as an observable source asset, so a take that changes makes
the assets it feeds show as stale in the UI (each partition's data version is a hash of the request and takes)."""

from __future__ import annotations

import json
import warnings

import dagster as dg

from vidgen_core.persistence.requests import RequestDB, RequestRecord
from vidgen_core.persistence.takes import TakeDB
from vidgen_core.pipeline.registry import Source
from vidgen_dagster.partitions import videos
from vidgen_dagster.resources import DatabaseResource
from vidgen_dagster.runs import DATA_VERSION_TAG
from vidgen_dagster.steps import content_version

OBSERVED_VIDEOS = 1000  # the newest videos an "Observe" click in the UI looks at


def request_version(record: RequestRecord, db: RequestDB) -> str:
    """What the plan and the beats of a video depend on: its request and each beat's current take."""
    takes = [t.model_dump(mode="json", exclude={"created_at"}) for t in TakeDB(db.url).current(record.video_id)]
    return content_version(json.dumps(record.request.plan_inputs(), sort_keys=True), json.dumps(takes))


def report_request_version(instance: dg.DagsterInstance, db: RequestDB, video_id: str) -> None:
    """Record the video's current request version (after a take changes, and at the start of every run)."""
    record = db.find(video_id)
    if record is None:
        return
    observation = dg.AssetObservation(
        asset_key=Source.VIDEO_REQUEST.value,
        partition=video_id,
        tags={DATA_VERSION_TAG: request_version(record, db)},
        metadata={"title": record.title, "user": record.user_id},  # the partition is a bare id
    )
    instance.report_runless_asset_event(observation)


with warnings.catch_warnings():  # observable source assets are beta in Dagster 1.13; users need not hear of it
    warnings.simplefilter("ignore", dg.BetaWarning)
    observable = dg.observable_source_asset(partitions_def=videos, group_name="video_ad", description=__doc__)


@observable
def video_request(context: dg.AssetExecutionContext, db: DatabaseResource) -> dg.DataVersionsByPartition:
    """The newest videos' request versions (a new take changes its video's version)."""
    requests = db.requests()
    known = set(context.instance.get_dynamic_partitions(videos.name))
    versions = {}
    for record in requests.recent(OBSERVED_VIDEOS):
        if record.video_id in known:
            versions[record.video_id] = request_version(record, requests)
    return dg.DataVersionsByPartition(versions)
