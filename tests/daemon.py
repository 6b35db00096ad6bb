"""What the Dagster daemon does with the request sensor, done in the test process."""

from __future__ import annotations

import dagster as dg

from vidgen_core.settings import Settings
from vidgen_dagster.definitions import build_definitions
from vidgen_dagster.resources import VidgenResource
from vidgen_dagster.sensors import video_requests


def tick(settings: Settings, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    """Evaluate the request sensor once."""
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"vidgen": VidgenResource(home=str(settings.home))}
    )
    return video_requests(context)


def launch(settings: Settings, instance: dg.DagsterInstance, result: dg.SensorResult) -> None:
    """Add the tick's partitions, then run each requested run (in process) with the tags the daemon gives it."""
    for add in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(add.partitions_def_name, list(add.partition_keys))
    job = build_definitions(str(settings.home)).resolve_job_def("generate_video")
    for request in result.run_requests:
        tags = {**request.tags, "dagster/run_key": request.run_key}
        job.execute_in_process(instance=instance, partition_key=request.partition_key, tags=tags, raise_on_error=False)


def run_pending(settings: Settings, instance: dg.DagsterInstance) -> dg.SensorResult:
    """One tick, its runs, and the tick after that brings the request rows up to date."""
    first = tick(settings, instance, cursor=None)
    launch(settings, instance, first)
    return tick(settings, instance, cursor=first.cursor)
