"""The deliverables' checks, measured on the stored files: lengths, posters, the mezzanine's format, the zip."""

from __future__ import annotations

import zipfile

from PIL import Image

from vidgen_core.adapters.ffmpeg.mezzanine import MEZZANINE_AUDIO
from vidgen_core.adapters.ffmpeg.probe import ffprobe_json, probe
from vidgen_core.adapters.storage import BlobStore
from vidgen_core.domain.checks import AUDIO_CHANNELS, AUDIO_RATE_HZ, MEZZANINE_PIX_FMT, CheckName
from vidgen_core.domain.models import DeliverableKind, Deliverables
from vidgen_core.pipeline.deliverables import poster_key
from vidgen_core.pipeline.verify import Outcome

VIDEO_KINDS = frozenset({DeliverableKind.VIDEO, DeliverableKind.CUTDOWN, DeliverableKind.MEZZANINE})


def _outcome(name: CheckName, problems: list[str], passed_says: str, **metadata: object) -> Outcome:
    return Outcome(name, not problems, "; ".join(problems) or passed_says, metadata)


def lengths_checked(files: Deliverables, store: BlobStore) -> Outcome:
    problems, measured = [], 0
    for f in files.files:
        if f.kind not in VIDEO_KINDS or f.length_s is None:
            continue
        info = probe(store.local_path(f.key))
        measured += 1
        if abs(info.duration_s - f.length_s) > 0.5 / (info.fps or 25.0):
            problems.append(f"{f.name} lasts {info.duration_s:.3f} s, not {f.length_s:g} s")
    return _outcome(CheckName.LENGTHS_AS_STATED, problems, "every video lasts its length", videos=measured)


def posters_checked(files: Deliverables, store: BlobStore) -> Outcome:
    """Posters are found where their videos keep them (``poster_key``), whatever names the listing gave them."""
    posters = {f.key: f for f in files.files if f.kind is DeliverableKind.POSTER}
    problems = []
    for f in files.files:
        if f.kind not in (DeliverableKind.VIDEO, DeliverableKind.CUTDOWN):
            continue
        poster = posters.get(poster_key(f.key))
        if poster is None:
            problems.append(f"{f.name} has no poster")
            continue
        info = probe(store.local_path(f.key))
        with Image.open(store.local_path(poster.key)) as img:
            if img.format != "JPEG" or img.size != (info.width, info.height):
                problems.append(
                    f"{poster.name} is a {img.format} of {img.width}x{img.height}, its video {info.width}x{info.height}"
                )
    return _outcome(CheckName.POSTERS_MATCH_VIDEOS, problems, "every poster matches its video", posters=len(posters))


def mezzanine_checked(files: Deliverables, store: BlobStore) -> Outcome:
    mezzanine = next((f for f in files.files if f.kind is DeliverableKind.MEZZANINE), None)
    if mezzanine is None:
        return _outcome(CheckName.MEZZANINE_PRORES_HQ, [], "no mezzanine was asked for")
    data = ffprobe_json(store.local_path(mezzanine.key))
    video = next((s for s in data["streams"] if s.get("codec_type") == "video"), {})
    audio = next((s for s in data["streams"] if s.get("codec_type") == "audio"), {})
    found = {
        "video_codec": video.get("codec_name"),
        "profile": video.get("profile"),
        "pix_fmt": video.get("pix_fmt"),
        "audio_codec": audio.get("codec_name"),
        "sample_rate": int(audio.get("sample_rate", 0)),
        "channels": audio.get("channels"),
        "container": data["format"].get("format_name", ""),
    }
    wanted = {
        "video_codec": "prores",
        "profile": "HQ",
        "pix_fmt": MEZZANINE_PIX_FMT,
        "audio_codec": MEZZANINE_AUDIO,
        "sample_rate": AUDIO_RATE_HZ,
        "channels": AUDIO_CHANNELS,
    }
    problems = [f"{k} is {found[k]}, not {v}" for k, v in wanted.items() if found[k] != v]
    if "mov" not in found["container"]:
        problems.append(f"the container is {found['container']}, not QuickTime")
    return _outcome(CheckName.MEZZANINE_PRORES_HQ, problems, "ProRes 422 HQ with PCM", **found)


def archive_checked(files: Deliverables, store: BlobStore) -> Outcome:
    archive = next((f for f in files.files if f.kind is DeliverableKind.ARCHIVE), None)
    if archive is None:
        return _outcome(CheckName.ARCHIVE_COMPLETE, ["no zip was made"], "")
    with zipfile.ZipFile(store.local_path(archive.key)) as zipped:
        members = {i.filename: i.file_size for i in zipped.infolist()}
    listed = {f.name: store.size(f.key) for f in files.files if f.kind is not DeliverableKind.ARCHIVE}
    problems = [f"{n} is missing" for n in listed if n not in members]
    problems += [
        f"{n} is {members[n]} bytes, stored {size}" for n, size in listed.items() if members.get(n, size) != size
    ]
    problems += [f"{n} is not a deliverable" for n in members if n not in listed]
    return _outcome(CheckName.ARCHIVE_COMPLETE, problems, "the zip holds every file", members=len(members))


def deliverables_checks(files: Deliverables, store: BlobStore) -> list[Outcome]:
    return [
        lengths_checked(files, store),
        posters_checked(files, store),
        mezzanine_checked(files, store),
        archive_checked(files, store),
    ]
