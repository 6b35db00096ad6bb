"""The storage key layout, in one place: ``{user_id}/videos/{video_id}/...`` (the seed's layout)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoKeys:
    """Every object key of one video."""

    user_id: str
    video_id: str

    @property
    def prefix(self) -> str:
        return f"{self.user_id}/videos/{self.video_id}"

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

    def stitched(self) -> str:
        return f"{self.prefix}/stitched.mp4"

    def final(self) -> str:
        return f"{self.prefix}/final.mp4"

    def manifest(self, asset: str) -> str:
        """Where a phase's manifest (the asset value passed downstream) is kept."""
        return f"{self.prefix}/manifests/{asset}.json"

    def prediction(self, item: str) -> str:
        """Journal of the paid prediction behind one item, so a retried step resumes instead of paying again."""
        return f"{self.prefix}/predictions/{item}.json"

    def fingerprint(self, media_key: str) -> str:
        """Sidecar holding the inputs' fingerprint of a media object, so a rerun can reuse it."""
        return f"{media_key}.inputs.json"


def upload_key(user_id: str, asset_id: str, extension: str) -> str:
    """Where a user's uploaded reference image is kept."""
    return f"{user_id}/assets/{asset_id}.{extension}"
