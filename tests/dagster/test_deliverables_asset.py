"""The deliverables asset in the graph: one materialization per video partition with the table of its files, their
counts and total size, and its checks measured on the files."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.support import metadata_of, submit_and_execute
from vidgen_core.adapters.ffmpeg.ops import measure_loudness
from vidgen_core.adapters.storage import LocalStore, VideoKeys
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.models import Deliverables, Phase
from vidgen_core.pipeline.registry import PHASES
from vidgen_core.settings import Settings

pytestmark = pytest.mark.slow  # renders a whole video


def test_a_videos_deliverables_are_a_table_in_its_partition_with_their_checks(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    result = submit_and_execute(
        settings, instance, "Create a 5-second ad for Nike Air Max", "vid-files1", resolution="720p", mezzanine=True
    )
    assert result.success
    shown = metadata_of(result)[Phase.DELIVERABLES]
    made = Deliverables.model_validate_json(
        LocalStore(settings.storage_dir).get_bytes(
            PHASES[Phase.DELIVERABLES].key(VideoKeys("local-user", "vid-files1"))
        )
    )
    rows = shown["file_table"].records
    assert [r.data["name"] for r in rows] == [f.name for f in made.files]
    assert [r.data["kind"] for r in rows] == [
        "video",
        "poster",
        "captions",
        "captions",
        "stem",
        "stem",
        "mezzanine",
        "archive",
    ]
    assert shown["counts"] == {"video": 1, "poster": 1, "mezzanine": 1, "captions": 2, "stem": 2, "archive": 1}
    assert shown["total_bytes"] == sum(f.size_bytes for f in made.files[:-1]) and shown["cost_usd"] == 0.0
    store = LocalStore(settings.storage_dir)
    final, mezzanine = (store.local_path(f.key) for f in made.files if f.kind in ("video", "mezzanine"))
    heard, master = measure_loudness(mezzanine), measure_loudness(final)  # its sound: the mix before the AAC encode
    assert heard.integrated_lufs == pytest.approx(master.integrated_lufs, abs=0.2) and heard.true_peak_dbtp <= -1.0
    checks = {
        e.check_name: e.passed for e in result.get_asset_check_evaluations() if e.asset_key.path == [Phase.DELIVERABLES]
    }
    assert checks == {
        CheckName.LENGTHS_AS_STATED: True,
        CheckName.POSTERS_MATCH_VIDEOS: True,
        CheckName.MEZZANINE_PRORES_HQ: True,
        CheckName.ARCHIVE_COMPLETE: True,
    }


def test_cutdowns_and_platform_versions_are_made_listed_and_checked_at_no_cost(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    """A 15 s ad with a 6 s cutdown for YouTube and CTV (which takes 6 and 15 s, and a ProRes mezzanine of its own
    version, at its broadcast loudness)."""
    result = submit_and_execute(
        settings, instance, "Create a 15-second ad for Nike Air Max", "vid-files2", resolution="720p",
        cutdowns=[6], platforms=["youtube", "ctv"],
    )  # fmt: skip
    assert result.success
    store = LocalStore(settings.storage_dir)
    keys = VideoKeys("local-user", "vid-files2")
    made = Deliverables.model_validate_json(store.get_bytes(PHASES[Phase.DELIVERABLES].key(keys)))
    videos = [(f.kind, f.name, f.platform, f.length_s, f.width) for f in made.files if f.format == "mp4"]
    assert videos == [
        ("video", "nike-air-max_16x9_15s.mp4", None, 15, 1280),
        ("cutdown", "nike-air-max_16x9_6s.mp4", None, 6, 1280),
        ("video", "nike-air-max_16x9_15s_youtube.mp4", "youtube", 15, 1920),
        ("video", "nike-air-max_16x9_15s_ctv.mp4", "ctv", 15, 1920),
        ("cutdown", "nike-air-max_16x9_6s_ctv.mp4", "ctv", 6, 1920),
    ]
    mezzanine = next(f for f in made.files if f.kind == "mezzanine")
    assert (mezzanine.name, mezzanine.width) == ("nike-air-max_16x9_15s_ctv.mov", 1920)
    assert measure_loudness(store.local_path(mezzanine.key)).integrated_lufs == pytest.approx(-23.0, abs=0.5)
    shown = metadata_of(result)[Phase.DELIVERABLES]
    assert shown["cost_usd"] == 0.0 and shown["counts"]["poster"] == 5
    checks = [e for e in result.get_asset_check_evaluations() if e.asset_key.path == [Phase.DELIVERABLES]]
    assert len(checks) == 4 and all(e.passed for e in checks), [e.description for e in checks]
