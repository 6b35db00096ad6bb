"""The folder store's copy: hard links that leave nothing behind, whatever the target already holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidgen_core.adapters.storage import LocalStore


def _hidden(root: Path) -> list[Path]:
    return [path for path in root.rglob(".*") if path.is_file()]


def test_copying_onto_a_link_of_the_same_file_leaves_no_temp_file(tmp_path: Path) -> None:
    """A regeneration copies each kept file onto a key that already links to it; rename(2) then does nothing."""
    store = LocalStore(tmp_path)
    store.put_bytes("u/videos/a/music.wav", b"RIFF")
    store.copy("u/videos/a/music.wav", "u/videos/b/music.wav")
    store.copy("u/videos/a/music.wav", "u/videos/b/music.wav")
    store.copy("u/videos/b/music.wav", "u/videos/b/music.wav")
    assert store.get_bytes("u/videos/b/music.wav") == b"RIFF"
    assert _hidden(tmp_path) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc"), st.binary(max_size=4)), max_size=8))
def test_any_run_of_puts_and_copies_leaves_only_the_keys(tmp_path_factory: pytest.TempPathFactory, steps: list) -> None:
    """Every key holds the last bytes written or copied to it, and no hidden file survives."""
    root = tmp_path_factory.mktemp("store")
    store, held = LocalStore(root), {}
    for src, dest, data in steps:
        store.put_bytes(f"u/{src}.bin", data)
        held[src] = data
        store.copy(f"u/{src}.bin", f"u/{dest}.bin")
        held[dest] = data
    assert {key: store.get_bytes(f"u/{key}.bin") for key in held} == held
    assert _hidden(root) == []


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes("u/a.bin", b"old")
    with pytest.raises(FileNotFoundError):
        store.put_file("u/a.bin", tmp_path / "missing.bin")
    assert store.get_bytes("u/a.bin") == b"old" and _hidden(tmp_path) == []
