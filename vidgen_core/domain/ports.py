"""Ports every provider adapter implements: planner, image, video, music and speech generators, the clip upscaler."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from vidgen_core.domain.catalog import Aspect, Resolution
from vidgen_core.domain.models import Camera, CostLine, GenerationRequest, SpecBeat, VideoSpec, WordTime


class Journal(Protocol):
    """Remembers the paid call behind one output, so a retried step resumes it instead of paying again."""

    def load(self) -> dict[str, Any] | None: ...
    def save(self, record: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class PlanResult:
    spec: VideoSpec
    costs: list[CostLine]


@dataclass(frozen=True)
class ImageJob:
    """One storyboard frame. ``beat`` and ``spec`` let local renderers draw; remote models use the prompt.
    ``product_photo`` is the uploaded product photo when this generator shows it in this beat (``uses_photo``)."""

    prompt: str
    aspect: Aspect
    width: int
    height: int
    seed: int
    spec: VideoSpec
    beat: SpecBeat
    journal: Journal | None = None
    product_photo: Path | None = None


@dataclass(frozen=True)
class ClipJob:
    """One image-to-video call: the first frame, what should move, and how long a clip to ask for."""

    first_frame: Path
    prompt: str
    camera: Camera
    clip_s: int
    model: str
    aspect: Aspect
    seed: int
    item: str
    journal: Journal | None = None
    # The lengths of the clips before and after this one in its beat (None at the beat's ends): a renderer that
    # moves the camera itself rests it only at the beat's ends and keeps its pace across a seam, without a stall
    continues_s: int | None = None
    continued_by_s: int | None = None


@dataclass(frozen=True)
class MusicJob:
    prompt: str
    mood: str
    duration_s: float
    seed: int
    model: str
    journal: Journal | None = None
    bpm: float | None = None  # the tempo fitted to the cut; None: the mood's own


@dataclass(frozen=True)
class UpscaleJob:
    """One clip to bring to the master's size with a model upscaler, at the clip's own frame rate."""

    clip: Path
    model: str
    resolution: Resolution
    fps: int
    item: str
    journal: Journal


@dataclass(frozen=True)
class SpeechJob:
    """One voiceover line to speak, in a voice of the catalog speech model ``model``."""

    text: str
    voice: str
    language: str
    model: str
    item: str
    journal: Journal | None = None


@dataclass
class Generated:
    """What a generator made: the file it wrote and what it cost."""

    path: Path
    provider: str
    model: str
    costs: list[CostLine] = field(default_factory=list)


@dataclass
class Spoken(Generated):
    """A spoken line (a WAV file) and, where the engine aligns its output, each word's time in that file;
    ``spoken_by`` names what actually read it where that is not the voice asked for (an offline stand-in)."""

    words: list[WordTime] | None = None
    spoken_by: str | None = None


class Planner(Protocol):
    provider: str
    model: str

    def plan(self, request: GenerationRequest) -> PlanResult: ...


class ImageGenerator(Protocol):
    provider: str

    def generate(self, job: ImageJob, out: Path) -> Generated: ...

    def uses_photo(self, model: str, beat: SpecBeat) -> bool:
        """Whether this generator draws the uploaded product photo into this beat's frame with this model."""
        ...


class VideoGenerator(Protocol):
    provider: str

    def generate(self, job: ClipJob, out: Path) -> Generated: ...


class MusicGenerator(Protocol):
    provider: str

    def generate(self, job: MusicJob, out: Path) -> Generated: ...


class SpeechGenerator(Protocol):
    provider: str

    def speak(self, job: SpeechJob, out: Path) -> Spoken: ...


class Upscaler(Protocol):
    provider: str
    model: str

    def upscale(self, job: UpscaleJob, out: Path) -> Generated: ...
