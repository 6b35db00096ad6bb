"""The code location: assets, checks, the job, the request sensor, resources and the executor (VIDGEN_EXECUTOR)."""

import dagster as dg

from vidgen_dagster import assets, observe
from vidgen_dagster.executors import executor_for
from vidgen_dagster.io_manager import ManifestIOManager
from vidgen_dagster.jobs import generate_video
from vidgen_dagster.resources import VidgenResource
from vidgen_dagster.sensors import video_requests


def build_definitions(home: str = "") -> dg.Definitions:
    """Definitions bound to a vidgen home (empty: VIDGEN_HOME or ./.vidgen)."""
    vidgen = VidgenResource(home=home)
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets, observe]),
        jobs=[generate_video],
        sensors=[video_requests],
        resources={"vidgen": vidgen, "io_manager": ManifestIOManager(vidgen=vidgen)},
        executor=executor_for(vidgen.settings()),
    )


defs = build_definitions()
