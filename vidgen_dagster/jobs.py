"""Jobs: the whole graph for one video partition, and the review run that stops before the paid clips."""

import dagster as dg

from vidgen_core.domain.models import Phase
from vidgen_core.persistence.requests import RequestRecord

WHOLE_GRAPH = tuple(p for p in Phase if p is not Phase.PREVIEW)  # a video's every asset but the review's preview
generate_video = dg.define_asset_job(
    "generate_video",
    selection=dg.AssetSelection.assets(*WHOLE_GRAPH),
    description="Materialize every asset of one video partition, from spec to final mp4 and its deliverables.",
)
review_video = dg.define_asset_job(
    "review_video",
    selection=dg.AssetSelection.assets(Phase.VIDEO_SPEC.value, Phase.STORYBOARD.value, Phase.PREVIEW.value),
    description="A video in review: its plan, its storyboard (the images alone of the media step) and the free "
    "preview; its clips wait for the approval (`vidgen approve`, or video_spec's config approve: true).",
)


def job_for(record: RequestRecord) -> str:
    """The job a video's next run is of: the review run while it waits for its approval, else the whole graph."""
    return review_video.name if record.in_review else generate_video.name
