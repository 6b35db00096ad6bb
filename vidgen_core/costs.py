"""Cost accounting: list prices of a spec on the real providers, from the catalog."""

from __future__ import annotations

from vidgen_core.catalog import LLM_MODELS, image_model, music_model, video_model
from vidgen_core.chunking import plan_chunks
from vidgen_core.models import VideoSpec

# A spec call is about 1.5k input and 1k output tokens (providers.md); used only for estimates.
PLAN_TOKENS_IN, PLAN_TOKENS_OUT = 1500, 1000
DEFAULT_LLM = "gpt-4o"


def list_price(spec: VideoSpec) -> dict[str, float]:
    """What each phase of this spec would cost on the real models it names, in USD."""
    video = video_model(spec.video_model)
    clip_seconds = sum(p.clip_s for p in plan_chunks(spec, video.clip_durations_s))
    music = music_model(spec.music_model)
    music_usd = (
        0.0
        if video.native_audio
        else (spec.duration_s * music.est_gpu_seconds_per_audio_second * music.usd_per_gpu_second)
    )
    return {
        "plan": LLM_MODELS[DEFAULT_LLM].cost(PLAN_TOKENS_IN, 0, PLAN_TOKENS_OUT),
        "storyboard": round(len(spec.beats) * image_model(spec.image_model).usd_per_image, 6),
        "chunks": video.clip_cost(clip_seconds),
        "music": round(music_usd, 6),
    }
