"""The code location: assets, checks, the job, the request sensor, resources and the executor (VIDGEN_EXECUTOR)."""

import dagster as dg

from vidgen_core.domain.models import Phase
from vidgen_core.settings import Settings
from vidgen_dagster import assets
from vidgen_dagster.executors import executor_for
from vidgen_dagster.io_manager import ManifestIOManager
from vidgen_dagster.jobs import generate_video
from vidgen_dagster.observe import video_request
from vidgen_dagster.resources import VidgenResource
from vidgen_dagster.sensors import dead_runs, followers, video_requests

# What renders each provider-bound asset offline (VIDGEN_MEDIA=local); with replicate, Replicate renders them all.
LOCAL_RENDERERS = {Phase.STORYBOARD: "pillow", Phase.MUSIC: "numpy", Phase.VIDEO_CHUNKS: "ffmpeg"}


def kinds(settings: Settings) -> dict[str, set[str]]:
    """The UI's kind badges: who makes each asset by default in this deployment (a request may ask for others)."""
    made = {str(p): {"replicate" if settings.media == "replicate" else tool} for p, tool in LOCAL_RENDERERS.items()}
    return {str(Phase.VIDEO_SPEC): {settings.planner}, **made}  # planner: "local" rules or "openai"


def build_definitions(home: str | None = None) -> dg.Definitions:
    """Definitions bound to a vidgen home (None: VIDGEN_HOME or ./.vidgen)."""
    vidgen = VidgenResource(home=home)
    badges = kinds(vidgen.settings())
    return dg.Definitions(
        assets=[
            *dg.map_asset_specs(
                lambda spec: spec.replace_attributes(kinds=badges.get(spec.key.to_user_string(), spec.kinds)),
                dg.load_assets_from_modules([assets]),
            ),
            video_request,
        ],
        jobs=[generate_video],
        sensors=[video_requests, *followers.values(), dead_runs],
        resources={"vidgen": vidgen, "io_manager": ManifestIOManager(vidgen=vidgen)},
        executor=executor_for(vidgen.settings()),
    )


defs = build_definitions()
