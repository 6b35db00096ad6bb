"""The storage key layout, in one place: ``{user_id}/videos/{video_id}/...`` (the seed's layout); and the error for
a key that reaches outside it, which every store raises."""

from __future__ import annotations

from dataclasses import dataclass


class KeyOutsideStore(ValueError):
    """A key that would reach outside the store: ``..``, an absolute path, a symlink out, a NUL byte."""


def aspect_variant(aspect: str) -> str:
    """An aspect's folder and file-name part: '9:16' -> '9x16'."""
    return aspect.replace(":", "x")


def length_variant(variant: str, length_s: int) -> str:
    """A version of ``variant`` at another length: '9x16-15s', 'ctv-30s'."""
    return f"{variant}-{length_s}s"


@dataclass(frozen=True)
class VideoKeys:
    """Every object key of one video; with a ``variant`` (an aspect or cutdown of the same plan: '9x16',
    '16x9-15s'), the keys of that deliverable, under ``deliverables/{variant}/``."""

    user_id: str
    video_id: str
    variant: str = ""

    @property
    def video_prefix(self) -> str:
        return f"{self.user_id}/videos/{self.video_id}"

    @property
    def prefix(self) -> str:
        return f"{self.video_prefix}/deliverables/{self.variant}" if self.variant else self.video_prefix

    def spec(self) -> str:
        return f"{self.prefix}/spec.json"

    def storyboard(self, beat_index: int) -> str:
        return f"{self.prefix}/storyboard/beat_{beat_index:02d}.png"

    def chunk(self, index: int) -> str:
        return f"{self.prefix}/chunks/chunk_{index:02d}.mp4"

    def chunk_last_frame(self, index: int) -> str:
        return f"{self.prefix}/chunks/chunk_{index:02d}_last_frame.png"

    def music(self) -> str:
        return f"{self.prefix}/music.wav"

    def voice_line(self, beat_index: int) -> str:
        """A beat's line as the speech engine said it."""
        return f"{self.prefix}/voiceover/beat_{beat_index:02d}.wav"

    def voice(self) -> str:
        """The whole voice track, as in the final mix."""
        return f"{self.prefix}/voice.wav"

    def music_mix(self) -> str:
        """The music after ducking, at its gain in the final mix."""
        return f"{self.prefix}/music_mix.wav"

    def captions(self, extension: str) -> str:
        """The captions as ``srt``, ``vtt`` or ``ass``."""
        return f"{self.prefix}/captions.{extension}"

    def stitched(self) -> str:
        return f"{self.prefix}/stitched.mp4"

    def final(self) -> str:
        return f"{self.prefix}/final.mp4"

    def poster(self) -> str:
        """A still of the hero beat with the title, at the deliverable's size."""
        return f"{self.prefix}/poster.jpg"

    def mezzanine(self) -> str:
        """The ProRes 422 HQ master with PCM audio."""
        return f"{self.prefix}/master.mov"

    def animatic(self) -> str:
        """The free preview: the storyboard images on the plan's timeline, rendered here."""
        return f"{self.video_prefix}/preview.mp4"

    def archive(self) -> str:
        """Every deliverable of the video in one zip."""
        return f"{self.video_prefix}/deliverables.zip"

    def preview(self, phase: str) -> str:
        """A small JPEG of a phase's output that the UI shows."""
        return f"{self.video_prefix}/previews/{phase}.jpg"

    def manifest(self, asset: str) -> str:
        """Where a phase's manifest (the asset value passed downstream) is kept."""
        return f"{self.video_prefix}/manifests/{asset}.json"


@dataclass(frozen=True)
class CacheKeys:
    """One entry of a user's call cache: the outputs of one provider call, found by the call's content key."""

    user_id: str
    digest: str

    @property
    def prefix(self) -> str:
        return f"{self.user_id}/cache/{self.digest[:2]}/{self.digest}"

    def output(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def record(self) -> str:
        """Written last: the entry is complete (its outputs, costs and prediction id)."""
        return f"{self.prefix}/call.json"

    def journal(self) -> str:
        """The prediction behind the entry, so a retried or resumed call polls it instead of paying again."""
        return f"{self.prefix}/prediction.json"


def upload_key(user_id: str, asset_id: str, extension: str) -> str:
    """Where a user's uploaded reference image is kept."""
    return f"{user_id}/assets/{asset_id}.{extension}"


def owner_key(video_id: str) -> str:
    """Where a video's owner (its user id) is kept, so its keys can be found from the video id alone. The ``_``
    cannot start a user id, so the index never lands in a user's folder."""
    return f"_owners/{video_id}"
