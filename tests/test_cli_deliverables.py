"""`vidgen deliverables ID`: every file of a complete video listed, or copied into a folder; clear errors before."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support import campaign_by_hand, cli_env, vidgen_in_process
from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.models import DeliverableKind
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh vidgen home for an in-process ``vidgen``, with no other vidgen or Dagster settings around."""
    home = tmp_path / "home"
    for key, value in cli_env(home).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith(("VIDGEN_", "DAGSTER_")) and k not in cli_env(home)]:
        monkeypatch.delenv(key)
    return home


def test_out_copies_every_file_under_its_name_and_json_says_where(home: Path, tmp_path: Path) -> None:
    settings = Settings()
    video, made = campaign_by_hand(settings, "ana")
    store = LocalStore(settings.storage_dir)
    out = tmp_path / "delivered"
    result = vidgen_in_process(["deliverables", video, "--out", str(out), "--json"])
    assert result.code == 0, result.stderr
    found = json.loads(result.stdout)
    files = [f for f in made.files if f.kind is not DeliverableKind.ARCHIVE]
    assert [f["name"] for f in found["files"]] == [f.name for f in files] and found["video_id"] == video
    assert sorted(p.name for p in out.iterdir()) == sorted(f.name for f in files)
    for f, listed in zip(files, found["files"], strict=True):
        copied = Path(listed["path"])
        assert copied == out / f.name and copied.read_bytes() == store.get_bytes(f.key)
        assert (listed["kind"], listed["aspect"], listed["size_bytes"]) == (f.kind, "16:9", copied.stat().st_size)
    kinds = [f["kind"] for f in found["files"]]
    assert kinds == ["video", "poster", "captions", "captions", "stem", "stem"]

    text = vidgen_in_process(["deliverables", video]).stdout.splitlines()
    assert text[0].startswith(f"{video}: 7 files") and len(text) == 8  # the zip too, where it is kept
    assert text[-1].split()[0] == "archive" and text[-1].endswith("deliverables.zip")


def test_a_video_not_done_says_when_to_ask_and_a_failed_one_how_to_finish(home: Path) -> None:
    settings = Settings()
    db = RequestDB(settings.db_url)
    queued = db.submit(build_request("Create a 5-second Nike ad", settings)).video_id
    said = vidgen_in_process(["deliverables", queued, "--out", str(home / "x")])
    assert said.code == 2 and said.stdout == "" and not (home / "x").exists()
    assert f"video {queued} is queued" in said.stderr and "ask again when it is complete" in said.stderr
    db.update(queued, status=Status.FAILED)
    failed = vidgen_in_process(["deliverables", queued, "--json"])
    assert failed.code == 2 and f"`vidgen resume {queued}` finishes it" in failed.stderr
    unknown = vidgen_in_process(["deliverables", "vid-nope"])
    assert unknown.code == 2 and "no video 'vid-nope'" in unknown.stderr
