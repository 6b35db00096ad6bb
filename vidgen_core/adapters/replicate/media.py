"""Replicate adapters: FLUX storyboard images, image-to-video chunks and MusicGen, priced on what came back."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from vidgen_core.adapters.ffmpeg.ops import end_on_bar
from vidgen_core.adapters.ffmpeg.probe import probe
from vidgen_core.adapters.local.image import draw_frame
from vidgen_core.adapters.replicate.runner import PROVIDER, ReplicateRunner
from vidgen_core.domain.catalog import image_model, music_model, video_model
from vidgen_core.domain.errors import ProviderError
from vidgen_core.domain.models import PRODUCT_SECTIONS, CostLine, Phase, SpecBeat
from vidgen_core.domain.ports import ClipJob, Generated, ImageJob, Journal, MusicJob
from vidgen_core.domain.tempo import mood_bpm


class _NoJournal:
    """Used when a caller keeps no journal: every call creates a prediction."""

    def load(self) -> None:
        return None

    def save(self, record: dict) -> None:
        return None


def _journal(journal: Journal | None) -> Journal:
    return journal if journal is not None else _NoJournal()


class ReplicateImageGenerator:
    """Storyboard frames from FLUX; cost per output image."""

    provider = PROVIDER

    def __init__(self, runner: ReplicateRunner, model: str) -> None:
        self.runner, self.model = runner, image_model(model)

    def uses_photo(self, model: str, beat: SpecBeat) -> bool:
        """The photo goes to a model that takes an input image, for the beats that make the product the hero."""
        return image_model(model).image_input is not None and beat.section in PRODUCT_SECTIONS

    def generate(self, job: ImageJob, out: Path) -> Generated:
        item = f"storyboard beat {job.beat.index}"
        inputs, files = self.model.inputs(job.prompt, job.aspect, job.seed), {}
        if job.product_photo is not None and self.model.image_input is not None:
            # the model's output takes its start image's size: the photo is sent standing in the beat's framing,
            # on a plain backdrop of the style's colours, for the model to redraw the scene around it
            start = out.with_name("start_image.png")
            draw_frame(job, text=False, scenery=False).save(start, format="PNG")
            inputs |= self.model.image_inputs()
            files = {self.model.image_input: start}
        done = self.runner.run(
            self.model.provider_id,
            inputs,
            files,
            model=self.model.name,
            item=item,
            journal=_journal(job.journal),
        )
        try:
            with Image.open(io.BytesIO(done.outputs[0])) as img:
                img.convert("RGB").save(out, format="PNG")
        except OSError as exc:
            raise ProviderError(PROVIDER, self.model.name, f"the output is not an image: {exc}", item) from None
        count = int(done.metrics.get("image_output_count") or len(done.outputs))
        cost = CostLine(
            phase=Phase.STORYBOARD,
            provider=PROVIDER,
            model=self.model.name,
            item=f"beat_{job.beat.index:02d}",
            quantity=count,
            unit="image",
            usd=round(count * self.model.usd_per_image, 6),
        )
        return Generated(path=out, provider=PROVIDER, model=self.model.name, costs=[cost])


class ReplicateVideoGenerator:
    """Image-to-video clips; cost per second of the clip actually returned (measured with ffprobe)."""

    provider = PROVIDER

    def __init__(self, runner: ReplicateRunner) -> None:
        self.runner = runner

    def generate(self, job: ClipJob, out: Path) -> Generated:
        model = video_model(job.model)
        inputs = model.inputs(job.prompt, None, job.clip_s, job.aspect)
        inputs.pop(model.image_input)
        done = self.runner.run(
            model.provider_id,
            inputs,
            {model.image_input: job.first_frame},
            model=model.name,
            item=job.item,
            journal=_journal(job.journal),
        )
        out.write_bytes(done.outputs[0])
        try:
            seconds = probe(out).duration_s
        except Exception as exc:
            raise ProviderError(PROVIDER, model.name, f"the output is not a video: {exc}", job.item) from None
        cost = CostLine(
            phase=Phase.VIDEO_CHUNKS,
            provider=PROVIDER,
            model=model.name,
            item=job.item,
            quantity=round(seconds, 3),
            unit="second",
            usd=model.clip_cost(seconds),
        )
        return Generated(path=out, provider=PROVIDER, model=model.name, costs=[cost])


class ReplicateMusicGenerator:
    """MusicGen, run by version; cost from the prediction's measured GPU time. Its track is cut on the last bar line
    of the asked tempo (the prompt names it) within the video and faded over that bar, so it ends with the video."""

    provider = PROVIDER

    def __init__(self, runner: ReplicateRunner, model: str) -> None:
        self.runner, self.model = runner, music_model(model)

    def generate(self, job: MusicJob, out: Path) -> Generated:
        owner_name, version = self.model.provider_id.split(":", 1)
        self.runner.check_version(owner_name, version, self.model.name)
        done = self.runner.run(
            self.model.provider_id,
            self.model.inputs(job.prompt, job.duration_s, job.seed),
            {},
            model=self.model.name,
            item="music",
            journal=_journal(job.journal),
            bill=self._failed,
        )
        raw = out.with_name(f"raw-{out.name}")
        raw.write_bytes(done.outputs[0])
        end_on_bar(raw, out, job.duration_s, job.bpm or mood_bpm(job.mood))
        raw.unlink()
        cost = self._gpu_time(float(done.metrics.get("predict_time") or 0.0))
        return Generated(path=out, provider=PROVIDER, model=self.model.name, costs=[*done.failed_costs, cost])

    def _failed(self, metrics: dict) -> CostLine | None:
        """A failed prediction's GPU time, billed as a successful one's is; None if it never ran."""
        return None if metrics.get("predict_time") is None else self._gpu_time(float(metrics["predict_time"]))

    def _gpu_time(self, gpu_s: float) -> CostLine:
        return CostLine(
            phase=Phase.MUSIC,
            provider=PROVIDER,
            model=self.model.name,
            item="music",
            quantity=gpu_s,
            unit="gpu_second",
            usd=self.model.cost(gpu_s),
        )
