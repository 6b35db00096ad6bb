"""One plan, many aspects, through the OpenAI and Replicate imitations: every aspect is the master's cut (its beats,
timings and copy, measured on the files) at its own size; reframed aspects pay nothing beyond the master, native
ones pay their own images and clips, as estimated."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from tests.fakes.replicate_server import FakeReplicate
from tests.support import use_home, vidgen_json
from vidgen_core.adapters.ffmpeg import measure
from vidgen_core.adapters.storage import BlobStore, VideoKeys, aspect_variant, open_store
from vidgen_core.domain.catalog import master_size
from vidgen_core.domain.models import AspectSet, ChunkSet, Phase, VideoSpec
from vidgen_core.persistence.ledger import BILLED, Ledger
from vidgen_core.pipeline import phases, verify
from vidgen_core.pipeline.aspects import aspect_spec
from vidgen_core.pipeline.registry import PHASES
from vidgen_core.settings import Settings

pytestmark = pytest.mark.slow  # whole videos through the imitations
AD = ["Create a 10-second Nike ad", "--planner", "openai", "--media", "replicate", "--resolution", "720p"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider_env: dict) -> Path:
    return use_home(tmp_path / "home", monkeypatch)


def _made(home: Path, made: dict) -> tuple[VideoSpec, AspectSet, VideoKeys]:
    store, keys = open_store(Settings(home=home)), VideoKeys(made["user_id"], made["video_id"])
    spec = VideoSpec.model_validate_json(store.get_bytes(keys.spec()))
    return spec, AspectSet.model_validate_json(store.get_bytes(PHASES[Phase.ASPECTS].key(keys))), keys


def _cues(srt: bytes) -> list[tuple[str, str]]:
    """Each caption's times and words, whatever its line breaks."""
    blocks = [block.splitlines() for block in srt.decode().strip().split("\n\n")]
    return [(lines[1], " ".join(" ".join(lines[2:]).split())) for lines in blocks]


def _footage(store: BlobStore, keys: VideoKeys) -> list[str]:
    """What the master's clips are made of (their calls)."""
    chunks = ChunkSet.model_validate_json(store.get_bytes(PHASES[Phase.VIDEO_CHUNKS].key(keys)))
    return [phases.footage(c) for c in chunks.chunks]


def _cut_version(home: Path, video_id: str) -> str | None:
    """The data version of the video's latest stitched_video (the master's cut: its clips and what it draws)."""
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        found = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(Phase.STITCHED_VIDEO.value), asset_partitions=[video_id]),
            limit=1,
            ascending=False,
        )
        return found.records[0].asset_materialization.tags.get("dagster/data_version")


def test_reframed_aspects_are_the_masters_cut_and_pay_nothing(home: Path, fake_replicate: FakeReplicate) -> None:
    aspects = ["16:9", "9:16", "1:1", "4:5"]
    made = vidgen_json("generate", *AD, "--aspects", ",".join(aspects), "--reframe")
    assert made["status"] == "complete", made
    spec, cuts, keys = _made(home, made)
    store = open_store(Settings(home=home))
    assert [c.aspect for c in cuts.cuts] == aspects[1:] and {c.mode.value for c in cuts.cuts} == {"reframed"}

    master = measure.file_facts(store.local_path(keys.final()))
    copy = _cues(store.get_bytes(keys.captions("srt")))
    for cut in cuts.cuts:
        path = store.local_path(cut.final.key)
        assert f"deliverables/{aspect_variant(cut.aspect)}/final.mp4" in cut.final.key
        facts = measure.file_facts(path)
        assert (facts.width, facts.height) == master_size(cut.aspect, spec.delivery.resolution)
        assert facts.video_frames == master.video_frames == round(spec.duration_s * float(master.avg_frame_rate))
        assert facts.duration_s == pytest.approx(master.duration_s, abs=0.5 / float(master.avg_frame_rate))
        # the beat boundaries, where the decoded picture changes, are the master's frames
        beats = verify.beats_on_frame(aspect_spec(spec, cut.aspect), measure.motion(store.local_path(cut.stitched.key)))
        assert beats.passed and beats.metadata["worst_offset_frames"] == 0, beats.description
        # the same copy: its captions are the master's, word for word and to the millisecond (wrapped to its width)
        assert _cues(store.get_bytes(VideoKeys(spec.user_id, spec.video_id, cut.variant).captions("srt"))) == copy

    rows = Ledger(Settings(home=home).db_url).rows(spec.video_id)
    assert not [r for r in rows if "/" in r.item]  # no call for any other aspect
    chunks = len(cuts.cuts[0].chunks.chunks)
    assert fake_replicate.paid_by_kind["image"] == len(spec.beats) and fake_replicate.paid_by_kind["video"] == chunks
    assert made["phases"]["aspects"]["cost_usd"] == 0.0
    assert made["cost_usd"] == pytest.approx(sum(r.actual_usd for r in rows if r.state in BILLED), abs=1e-4)


def test_native_aspects_pay_their_own_pictures_as_estimated(home: Path, fake_replicate: FakeReplicate) -> None:
    flags = ["--aspects", "16:9,9:16"]
    estimate = vidgen_json("estimate", *AD, *flags)
    assert (
        estimate["by_aspect"]["9:16"]
        == estimate["by_aspect"]["16:9"]
        == pytest.approx(estimate["by_phase"]["storyboard"] + estimate["by_phase"]["video_chunks"])
    )
    made = vidgen_json("generate", *AD, *flags)
    assert made["status"] == "complete", made
    spec, cuts, _ = _made(home, made)
    (cut,) = cuts.cuts
    assert cut.mode.value == "native" and cut.final.height > cut.final.width
    chunks = len(cut.chunks.chunks)
    bought = fake_replicate.paid_by_kind
    assert bought["image"] == 2 * len(spec.beats) and bought["video"] == 2 * chunks  # once per aspect
    assert bought["music"] == 1  # the music, and each line's voice, once for both
    rows = Ledger(Settings(home=home).db_url).rows(spec.video_id)
    tall = [r for r in rows if r.item.startswith("9x16/") and r.state in BILLED]
    assert {r.phase for r in tall} == {Phase.ASPECTS} and len(tall) == len(spec.beats) + chunks  # as estimated
    paid = sum(r.actual_usd for r in tall)
    assert paid == pytest.approx(estimate["by_phase"]["aspects"], abs=1e-4) == made["phases"]["aspects"]["cost_usd"]

    # a new take of beat 1 is a new take in every aspect: its image and clips, paid once in each, nothing else
    before = dict(bought)
    regen = vidgen_json(
        "regenerate", made["video_id"], "--beat", "1", "--prompt", "the Nike shoe on a red running track"
    )
    assert regen["status"] == "complete", regen
    clips = [c for c in cut.chunks.chunks if c.plan.beat_index == 1]
    again = {k: fake_replicate.paid_by_kind.get(k, 0) - before.get(k, 0) for k in ("image", "video", "music", "speech")}
    assert again == {"image": 2, "video": 2 * len(clips), "music": 0, "speech": 0}
    rows = Ledger(Settings(home=home).db_url).rows(spec.video_id)
    repaid = [r for r in rows if r.run_id == regen["run_id"] and r.state in BILLED]
    assert {(r.beat_index, "/" in r.item) for r in repaid} == {(1, False), (1, True)}  # beat 1, master and 9:16
    _, cuts, _ = _made(home, made)
    assert {c.take for c in cuts.cuts[0].chunks.chunks if c.plan.beat_index == 1} == {1}

    # a new take of beat 1 for 9:16 alone: its 9:16 image and clips, booked under aspects; nothing for 16:9, whose
    # final is unchanged; `vidgen show` counts each beat's pictures in every aspect
    store, keys = open_store(Settings(home=home)), VideoKeys(made["user_id"], made["video_id"])
    footage = _footage(store, keys)
    before, version = dict(fake_replicate.paid_by_kind), _cut_version(home, made["video_id"])
    tall_only = vidgen_json("regenerate", made["video_id"], "--beat", "1", "--aspect", "9:16")
    assert tall_only["status"] == "complete", tall_only
    again = {k: fake_replicate.paid_by_kind.get(k, 0) - before.get(k, 0) for k in ("image", "video", "music", "speech")}
    assert again == {"image": 1, "video": len(clips), "music": 0, "speech": 0}
    rows = Ledger(Settings(home=home).db_url).rows(spec.video_id)
    repaid = [r for r in rows if r.run_id == tall_only["run_id"] and r.state in BILLED]
    assert {(r.phase, r.beat_index, r.item.split("/")[0]) for r in repaid} == {(Phase.ASPECTS, 1, "9x16")}
    # the 16:9 master is cut from the same clips: the same data version (its encode is not bit-exact on a re-run)
    assert _footage(store, keys) == footage and _cut_version(home, made["video_id"]) == version is not None
    spec, cuts, _ = _made(home, made)
    assert spec.beats[1].take == 1 and {c.take for c in cuts.cuts[0].chunks.chunks if c.plan.beat_index == 1} == {2}
    shown = vidgen_json("show", made["video_id"])
    for beat in shown["beats"]:
        billed = sum(r.actual_usd for r in rows if r.beat_index == beat["index"] and r.state in BILLED)
        assert beat["cost_usd"] == pytest.approx(billed, abs=1e-6)
    assert shown["beats"][1]["cost_usd"] > sum(r.actual_usd for r in rows if r.beat_index == 1 and "/" not in r.item)
