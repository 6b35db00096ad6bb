"""The call cache and the spend ledger: a call is paid once, takes and users are separate, budgets hold."""

from __future__ import annotations

import errno
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vidgen_core.adapters.storage import LocalStore
from vidgen_core.domain.errors import BudgetExceeded, MediaError, ProviderError
from vidgen_core.domain.models import CostLine, Phase
from vidgen_core.domain.stopping import Stopped, pause
from vidgen_core.persistence.ledger import CallEntry, CallState, Ledger
from vidgen_core.persistence.takes import TakeDB
from vidgen_core.persistence.trouble import Trouble
from vidgen_core.pipeline.calls import Call, CallCache, Made
from vidgen_core.pipeline.takes import new_take, select_take
from vidgen_core.settings import Settings


class Provider:
    """Counts calls; each writes a file and costs ``usd``."""

    def __init__(self, usd: float = 0.025) -> None:
        self.calls, self.usd = 0, usd

    def __call__(self, tmp: Path, journal: object) -> Made:
        self.calls += 1
        out = tmp / "image.png"
        out.write_bytes(f"image {self.calls}".encode())
        line = CostLine(
            phase=Phase.STORYBOARD, provider="p", model="m", item="x", quantity=1, unit="image", usd=self.usd
        )
        return Made({"image.png": out}, [line])


def _call(take: int = 0, prompt: str = "a shoe", estimate: float = 0.025) -> Call:
    return Call(
        phase=Phase.STORYBOARD,
        item="beat_02",
        provider="replicate",
        model="flux-dev",
        inputs={"prompt": prompt, "seed": 3},
        beat_index=2,
        take=take,
        estimate_usd=estimate,
    )


@pytest.fixture
def cache(settings: Settings) -> CallCache:
    return CallCache(LocalStore(settings.storage_dir), Ledger(settings.db_url), "ana", "vid-calls1", budget_usd=0.06)


def test_a_call_is_paid_once_and_reused_after(cache: CallCache) -> None:
    provider = Provider()
    first = cache.run(_call(), provider)
    again = cache.run(_call(), provider)
    assert provider.calls == 1 and not first.reused and again.reused
    assert again.outputs == first.outputs and cache.store.get_bytes(first.outputs["image.png"]) == b"image 1"
    assert first.cost_usd == 0.025 and again.cost_usd == 0.0
    rows = cache.ledger.rows("vid-calls1")
    assert [(r.state, r.actual_usd, r.beat_index, r.take) for r in rows] == [
        (CallState.PAID, 0.025, 2, 0),
        (CallState.REUSED, 0.0, 2, 0),
    ]
    assert cache.ledger.spent("vid-calls1") == 0.025


def test_takes_prompts_and_users_make_different_calls(cache: CallCache) -> None:
    provider, unbounded = Provider(), CallCache(cache.store, cache.ledger, "ana", "vid-calls1")
    keys = {unbounded.run(c, provider).key for c in (_call(), _call(take=1), _call(prompt="a red shoe"))}
    assert len(keys) == 3 and provider.calls == 3
    other = CallCache(cache.store, cache.ledger, "ben", "vid-calls2")
    assert not other.run(_call(), provider).reused and provider.calls == 4  # another user's cache is never shared


def test_the_budget_refuses_before_the_call(cache: CallCache) -> None:
    provider = Provider()
    cache.run(_call(), provider)
    cache.run(_call(take=1), provider)
    with pytest.raises(BudgetExceeded, match=r"estimated at \$0.0250 on top of \$0.0500.*budget of \$0.0600"):
        cache.run(_call(take=2), provider)
    assert provider.calls == 2 and cache.ledger.spent("vid-calls1") == 0.05
    assert cache.ledger.committed("vid-calls1") <= 0.06
    assert cache.run(_call(take=1), provider).reused  # what is paid for stays free to use


def test_a_failed_call_is_recorded_and_a_retry_pays_once(cache: CallCache) -> None:
    def broken(tmp: Path, journal: object) -> Made:
        raise ProviderError("replicate", "flux-dev", "prediction failed: E005", "beat 2")

    with pytest.raises(ProviderError):
        cache.run(_call(), broken)
    provider = Provider()
    assert not cache.run(_call(), provider).reused and provider.calls == 1
    states = [(r.state, r.error) for r in cache.ledger.rows("vid-calls1")]
    assert states[0] == (CallState.FAILED, "replicate model flux-dev failed for beat 2: prediction failed: E005")
    assert states[1][0] == CallState.PAID


def test_a_reservation_left_by_a_dead_run_is_taken_over(settings: Settings) -> None:
    ledger = Ledger(settings.db_url)
    cache = CallCache(LocalStore(settings.storage_dir), ledger, "ana", "vid-calls3", budget_usd=0.03, run_id="r1")
    entry = CallEntry(
        video_id="vid-calls3",
        user_id="ana",
        phase=Phase.STORYBOARD,
        item="beat_02",
        provider="replicate",
        model="flux-dev",
        cache_key=_call().key(),
        beat_index=2,
        estimate_usd=0.025,
        run_id="r0",
    )
    entry_row = ledger.reserve(entry, 0.03)  # a run that died while the call was in flight
    outcome = cache.run(_call(), Provider())  # the same call again: its reservation is reused, not doubled
    rows = ledger.rows("vid-calls3")
    assert not outcome.reused and [r.id for r in rows] == [entry_row] and rows[0].state == CallState.PAID
    assert rows[0].run_id == "r1"


def test_takes_are_recorded_selected_and_idempotent_per_run(settings: Settings) -> None:
    db = TakeDB(settings.db_url)
    assert db.current("vid-t1") == []
    one = new_take(db, "vid-t1", 2, "a new look", None, run_id="run-a")
    assert one.take == 1 and new_take(db, "vid-t1", 2, "ignored", None, run_id="run-a").take == 1  # a retried run
    assert new_take(db, "vid-t1", 2).take == 2
    assert [(t.beat_index, t.take) for t in db.current("vid-t1")] == [(2, 2)]
    assert select_take(db, "vid-t1", 2, 0).take == 0 and db.current("vid-t1")[0].take == 0
    assert select_take(db, "vid-t1", 2, 1).image_prompt == "a new look"
    assert sorted(t.take for t in db.all("vid-t1")) == [0, 1, 2]
    with pytest.raises(Exception, match="has no take 7"):
        select_take(db, "vid-t1", 2, 7)


def test_a_failed_call_the_provider_billed_is_in_the_ledger_at_that_cost(settings: Settings) -> None:
    """A call that fails after the provider billed it (a rejected answer, GPU time that ran) costs the video, its
    batch and the budget what was billed; one that failed unbilled costs nothing."""
    ledger = Ledger(settings.db_url)
    cache = CallCache(LocalStore(settings.storage_dir), ledger, "ana", "vid-calls9", budget_usd=0.06, batch_id="b9")
    line = CostLine(phase=Phase.STORYBOARD, provider="p", model="m", item="x", quantity=1, unit="image", usd=0.025)

    def billed(tmp: Path, journal: object) -> Made:
        raise ProviderError("replicate", "flux-dev", "the answer was rejected", "beat 2", costs=[line])

    def unbilled(tmp: Path, journal: object) -> Made:
        raise ProviderError("replicate", "flux-dev", "HTTP 500", "beat 2", retryable=True)

    for make in (billed, unbilled):
        with pytest.raises(ProviderError):
            cache.run(_call(), make)
    rows = ledger.rows("vid-calls9")
    assert [(r.state, r.actual_usd) for r in rows] == [(CallState.FAILED, 0.025), (CallState.FAILED, 0.0)]
    assert ledger.spent("vid-calls9") == ledger.committed("vid-calls9") == 0.025
    assert ledger.batch_spent("b9") == {"vid-calls9": 0.025} and ledger.batch_committed("b9") == 0.025
    cache.run(_call(take=1), Provider())  # 0.025 billed and 0.025 paid: a third call would pass the $0.06 budget
    with pytest.raises(BudgetExceeded):
        cache.run(_call(take=2), Provider())


def test_a_failed_calls_vidgen_error_is_recorded_without_its_paths(cache: CallCache) -> None:
    """The ledger's error is shown by GET /api/video and `vidgen show`: ffmpeg's words keep no temporary path."""

    def ffmpeg(tmp: Path, journal: object) -> Made:
        raise MediaError(f"ffmpeg failed: {tmp}/clip.mp4: Invalid data found when processing input")

    with pytest.raises(MediaError):
        cache.run(_call(), ffmpeg)
    (row,) = cache.ledger.rows("vid-calls1")
    assert row.error == "ffmpeg failed: a file: Invalid data found when processing input"


def test_a_call_cut_off_by_storage_is_recorded_in_words_and_one_told_to_stop_is_kept(cache: CallCache) -> None:
    def read_only(tmp: Path, journal: object) -> Made:
        raise OSError(errno.EROFS, "Read-only file system", "/srv/vidgen/storage/ana/cache/x.png")

    with pytest.raises(OSError):
        cache.run(_call(), read_only)
    (row,) = cache.ledger.rows("vid-calls1")
    assert row.state == CallState.FAILED
    assert row.error == f"{Trouble.READ_ONLY}; {Trouble.READ_ONLY.fix}"  # no path, no class

    def stopped(tmp: Path, journal: object) -> Made:
        cache.stop.set()  # Ctrl-C while the call waits on its provider
        pause(1.0)
        raise AssertionError("pause did not stop")

    with pytest.raises(Stopped):
        cache.run(_call(prompt="another"), stopped)
    assert cache.ledger.rows("vid-calls1")[-1].state == CallState.RESERVED  # kept for the resume, not failed
    with pytest.raises(Stopped):  # and no new call starts
        cache.run(_call(prompt="a third"), Provider())
    assert len(cache.ledger.rows("vid-calls1")) == 2


def test_the_same_call_asked_for_twice_at_once_is_made_once(tmp_path: Path) -> None:
    """Two beats saying the same line, spoken at once: one call is made and paid, the other waits and reuses it."""
    store, ledger = LocalStore(tmp_path / "store"), Ledger(f"sqlite:///{tmp_path / 'db.sqlite'}")
    calls = CallCache(store, ledger, "u", "vid-twice")
    made, started = [], threading.Barrier(2)

    def make(tmp: Path, journal: object) -> Made:
        made.append(1)
        time.sleep(0.2)  # long enough for the other caller to arrive while this one is being made
        (tmp / "line.wav").write_bytes(b"said once")
        return Made({"line.wav": tmp / "line.wav"}, [])

    def say() -> bool:
        started.wait()
        call = Call(phase=Phase.VOICEOVER, item="line", provider="local", model="m", inputs={"text": "Go."})
        return calls.run(call, make).reused

    with ThreadPoolExecutor(2) as pool:
        reused = sorted(pool.map(lambda _: say(), range(2)))
    assert made == [1] and reused == [False, True]
