"""A model upscaler on Replicate (Topaz Labs' video-upscale): one clip in, the same clip at the master's size out.

Priced per output frame, counted on the file that came back. The contract, its sources and what is not verified
are in README.md, "Model upscaler".
"""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.ffmpeg.tools import run
from vidgen_core.adapters.replicate.runner import PROVIDER, ReplicateRunner
from vidgen_core.domain.catalog import upscale_model
from vidgen_core.domain.errors import MediaError, ProviderError
from vidgen_core.domain.models import CostLine, Phase
from vidgen_core.domain.ports import Generated, UpscaleJob


class ReplicateUpscaler:
    """Uploads a clip, asks for the master's resolution at the clip's own fps, and keeps the clip's sound."""

    provider = PROVIDER

    def __init__(self, runner: ReplicateRunner, model: str) -> None:
        self.runner, self.catalog = runner, upscale_model(model)
        self.model = self.catalog.name

    def upscale(self, job: UpscaleJob, out: Path) -> Generated:
        done = self.runner.run(
            self.catalog.provider_id,
            self.catalog.inputs(job.resolution, job.fps),
            {"video": job.clip},
            model=self.model,
            item=job.item,
            journal=job.journal,
        )
        raw = out.with_name(f"{out.stem}.model.mp4")
        raw.write_bytes(done.outputs[0])
        try:
            info = probe(raw)
        except MediaError:
            raise ProviderError(
                PROVIDER, self.model, "it returned a file that is not a video; try again", job.item
            ) from None
        _keep_sound(job.clip, raw, out)
        frames = round(info.duration_s * info.fps)
        cost = CostLine(
            phase=Phase.VIDEO_CHUNKS,
            provider=PROVIDER,
            model=self.model,
            item=job.item,
            quantity=frames,
            unit="frame",
            usd=self.catalog.cost(job.resolution, frames),
        )
        return Generated(path=out, provider=PROVIDER, model=self.model, costs=[cost])


def _keep_sound(clip: Path, upscaled: Path, out: Path) -> None:
    """``upscaled`` as ``out``, with ``clip``'s sound when the upscaler dropped it (a model that brings its own
    audio, like Veo, would otherwise lose it)."""
    if not probe(clip).has_audio or probe(upscaled).has_audio:
        upscaled.replace(out)
        return
    picture, sound = ffmpeg.input(str(upscaled)).video, ffmpeg.input(str(clip)).audio
    run(ffmpeg.output(picture, sound, str(out), c="copy", shortest=None), f"put the sound back on {clip.name}")
