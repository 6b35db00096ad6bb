"""The code location: assets, checks, the jobs (the whole graph, the review run), the sensors (new requests, runs'
status, dead runs), resources and the executor (VIDGEN_EXECUTOR)."""

import dagster as dg

from vidgen_core.adapters.registry import default_providers
from vidgen_core.domain.catalog import LOCAL_PROVIDER
from vidgen_core.pipeline.registry import PHASES
from vidgen_core.settings import Settings, get_settings
from vidgen_dagster import assets
from vidgen_dagster.executors import executor_for
from vidgen_dagster.io_manager import ManifestIOManager
from vidgen_dagster.jobs import generate_video, review_video
from vidgen_dagster.observe import video_request
from vidgen_dagster.resources import DatabaseResource, FfmpegResource, ProvidersResource, StoreResource
from vidgen_dagster.sensors import dead_runs, followers, video_requests


def kinds(settings: Settings) -> dict[str, set[str]]:
    """The UI's kind badges: who makes each asset by default in this deployment (a request may ask for others):
    the catalog provider of the kind's default model, or the local renderer."""
    chosen = default_providers(settings)
    return {
        str(phase): {
            entry.renderer if entry.paid is None or chosen[entry.paid] == LOCAL_PROVIDER else chosen[entry.paid]
        }
        for phase, entry in PHASES.items()
    }


def build_definitions(home: str | None = None) -> dg.Definitions:
    """Definitions bound to a vidgen home (None: VIDGEN_HOME or ./.vidgen)."""
    settings = get_settings(home)
    store = StoreResource.from_settings(settings)
    badges = kinds(settings)
    return dg.Definitions(
        assets=[
            *dg.map_asset_specs(
                lambda spec: spec.replace_attributes(kinds=badges.get(spec.key.to_user_string(), spec.kinds)),
                dg.load_assets_from_modules([assets]),
            ),
            video_request,
        ],
        jobs=[generate_video, review_video],
        sensors=[video_requests, *followers.values(), dead_runs],
        resources={
            "store": store,
            "db": DatabaseResource.from_settings(settings),
            "providers": ProvidersResource.from_settings(settings, home),
            "ffmpeg": FfmpegResource.from_settings(settings, home),
            "io_manager": ManifestIOManager(store=store),
        },
        executor=executor_for(settings),
    )


defs = build_definitions()
