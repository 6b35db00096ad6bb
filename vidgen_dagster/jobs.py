"""Jobs: the whole graph for one video partition, the review run that stops before the paid clips, and a line
take's run that makes the voice and what is mixed with it."""

import dagster as dg

from vidgen_core.domain.models import Phase
from vidgen_core.persistence.requests import RequestRecord, RunScope

WHOLE_GRAPH = tuple(p for p in Phase if p is not Phase.PREVIEW)  # a video's every asset but the review's preview
# What a new line or voice changes: the plan (it names the beat's line take), the voiceover, the final's mix and
# captions, every other aspect (mixed with the voice too) and the deliverables. The storyboard, clips, music and
# stitched picture are not made again: the IO manager loads their last manifests, so the video must be complete.
VOICE_GRAPH = (Phase.VIDEO_SPEC, Phase.VOICEOVER, Phase.FINAL_VIDEO, Phase.ASPECTS, Phase.DELIVERABLES)
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
retake_line = dg.define_asset_job(
    "retake_line",
    selection=dg.AssetSelection.assets(*VOICE_GRAPH),
    description="A new take of a beat's line on a complete video (video_spec's config regenerate_beat with line "
    "and/or voice): its plan, voiceover, final, other aspects and deliverables, reusing its pictures and music.",
)
JOBS = (generate_video, review_video, retake_line)


def job_for(record: RequestRecord) -> str:
    """The job a video's next run is of: the review run while it waits for its approval, a line take's run when
    the run it waits for makes the voice alone, else the whole graph."""
    if record.in_review:
        return review_video.name
    return retake_line.name if record.run_scope is RunScope.VOICE else generate_video.name
