"""Batch files: rows read with their line numbers, every row checked before anything is stored, stored whole, and
a batch's spending cap held by the ledger across its videos."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest, TooBusy
from vidgen_core.domain.models import Phase
from vidgen_core.persistence.batches import BatchDB, BatchRecord
from vidgen_core.persistence.ledger import CallEntry, Ledger
from vidgen_core.persistence.requests import BACKFILL_PREFIX, RequestDB, Status
from vidgen_core.pipeline.batches import check_rows, read_rows
from vidgen_core.settings import Settings

CSV = """prompt,title,duration,aspect,model,user,max_cost
Create a 10-second Nike ad,Nike,10,16:9,,,
A 10-second ad for Oatly oat milk,Oatly,,1:1,,bo,

"a coffee shop called Bean There, cozy",Bean,ten,,,,
,empty,10,,,,
Create a 10-second Lego ad,Lego,10,4:3,,,
Create a 30-second Veo ad,Veo,30,,veo-3-fast,,0.01
"""


def _batch(checked, user: str = "ana", cap: float | None = None, batch_id: str = "bat-000000000001") -> BatchRecord:
    return BatchRecord(
        batch_id=batch_id,
        user_id=user,
        title="test",
        videos=len(checked.rows),
        estimate_usd=checked.estimate_usd,
        max_cost_usd=cap,
        created_at=datetime.now(UTC),
    )


def test_every_row_is_checked_and_bad_ones_are_named_by_line(settings: Settings) -> None:
    rows = read_rows(CSV, "ads.csv")
    assert [line for line, _ in rows] == [2, 3, 5, 6, 7, 8]  # the blank line 4 is not a row
    checked = check_rows(
        rows, settings, batch_id="bat-000000000001", default_user="ana", media="replicate", need_credentials=False
    )
    assert 0 < checked.estimate_usd == pytest.approx(sum(r.estimate_usd for r in checked.rows))  # priced as Replicate
    assert [(r.line, r.request.title, r.request.user_id) for r in checked.rows] == [
        (2, "Nike", "ana"),
        (3, "Oatly", "bo"),
    ]
    assert {r.request.batch_id for r in checked.rows} == {"bat-000000000001"}
    bad = {b.line: (b.field, b.error) for b in checked.bad}
    assert bad[5] == ("duration", "duration must be a number, not 'ten'")
    assert bad[6][0] == "prompt" and "prompt is empty" in bad[6][1]
    assert bad[7][0] == "aspect" and "4:3" in bad[7][1]
    assert bad[8][0] == "max_cost" and "over its budget" in bad[8][1]  # Veo costs more than its own $0.01 cap


def test_jsonl_rows_and_their_faults(settings: Settings) -> None:
    text = "\n".join(
        [json.dumps({"prompt": "Create a 10-second Nike ad", "duration": 10}), "{not json", "[1, 2]", '{"promt": "x"}']
    )
    checked = check_rows(read_rows(text, "ads.jsonl"), settings, batch_id="bat-000000000002", need_credentials=False)
    assert [r.line for r in checked.rows] == [1]
    assert [(b.line, b.error.split(" (")[0]) for b in checked.bad] == [
        (2, "not valid JSON"),
        (3, "a row must be a JSON object"),
        (4, "unknown column 'promt'; a row may have prompt, title, duration, aspect, model, user, max_cost"),
    ]


def test_a_number_that_is_not_finite_is_a_bad_row(settings: Settings) -> None:
    text = "prompt,duration,max_cost\nNike ad,nan,\nLego ad,,inf\nOatly ad,,1e309\nRed Bull ad,10,2\n"
    checked = check_rows(read_rows(text, "ads.csv"), settings, batch_id="bat-000000000003", need_credentials=False)
    assert [r.line for r in checked.rows] == [5]
    assert [(b.line, b.field) for b in checked.bad] == [(2, "duration"), (3, "max_cost"), (4, "max_cost")]


def test_a_file_is_refused_whole_when_it_cannot_be_a_batch(settings: Settings) -> None:
    with pytest.raises(InvalidRequest, match="header with a `prompt` column"):
        read_rows("title,duration\nNike,10\n", "ads.csv")
    with pytest.raises(InvalidRequest, match="no rows"):
        check_rows([], settings, batch_id="bat-000000000003")
    keyless = settings.model_copy(update={"replicate_api_token": None})
    with pytest.raises(InvalidRequest, match="set REPLICATE_API_TOKEN in the environment"):  # once, not once a row
        check_rows(
            [(i, {"prompt": "Nike ad"}) for i in range(3)], keyless, batch_id="bat-0000000000k1", media="replicate"
        )
    small = settings.model_copy(update={"batch_max_rows": 2})
    with pytest.raises(InvalidRequest, match="at most 2 go in one batch"):
        check_rows([(i, {"prompt": "Nike ad"}) for i in range(3)], small, batch_id="bat-000000000003")


def test_an_api_caller_owns_every_row(settings: Settings) -> None:
    rows = [(0, {"prompt": "Nike ad"}), (1, {"prompt": "Nike ad", "user": "eve"})]
    checked = check_rows(rows, settings, batch_id="bat-000000000004", user_id="ana", need_credentials=False)
    assert [r.request.user_id for r in checked.rows] == ["ana"]
    assert checked.bad[0].line == 1 and checked.bad[0].field == "user"


def test_a_batch_is_stored_whole_with_its_own_limit(settings: Settings) -> None:
    db = BatchDB(settings.db_url)
    rows = [(i, {"prompt": f"Create a 10-second Nike ad number {i}"}) for i in range(3)]
    checked = check_rows(rows, settings, batch_id="bat-000000000005", default_user="ana")
    db.store(_batch(checked, batch_id="bat-000000000005"), checked.requests, max_active=1)
    videos = db.videos("bat-000000000005")
    assert [v.request.video_id for v in videos] == [r.request.video_id for r in checked.rows]
    assert {(v.status, v.wanted_run_key) for v in videos} == {(Status.QUEUED, f"{BACKFILL_PREFIX}bat-000000000005")}
    # a batch in flight does not hold the one-video limit ...
    single = RequestDB(settings.db_url).submit(checked.rows[0].request.model_copy(
        update={"video_id": "vid-single-000", "request_id": "", "batch_id": None}), max_active=1)  # fmt: skip
    assert single.status == Status.QUEUED
    # ... but a second batch is over the batch limit, and nothing of it is stored
    again = check_rows(rows, settings, batch_id="bat-000000000006", default_user="ana")
    with pytest.raises(TooBusy, match="1 batch in progress"):
        db.store(_batch(again, batch_id="bat-000000000006"), again.requests, max_active=1)
    assert db.videos("bat-000000000006") == []
    state = db.state("bat-000000000005", Ledger(settings.db_url), "ana")
    assert state.counts["queued"] == 3 and not state.done and state.spent_usd == 0.0


def test_the_batch_cap_holds_across_its_videos(settings: Settings) -> None:
    ledger = Ledger(settings.db_url)

    def entry(video: str, item: str) -> CallEntry:
        return CallEntry(
            video_id=video, user_id="ana", phase=Phase.VIDEO_CHUNKS, item=item, provider="replicate",
            model="hailuo-02-fast", cache_key=f"{video}-{item}", estimate_usd=0.4, batch_id="bat-000000000007",
        )  # fmt: skip

    ledger.paid(ledger.reserve(entry("vid-a", "c0"), 10.0, 1.0), 0.45, "p1")
    ledger.reserve(entry("vid-b", "c0"), 10.0, 1.0)  # reserved: 0.45 paid + 0.4 held
    with pytest.raises(BudgetExceeded, match=r"over batch bat-000000000007's budget of \$1.0000"):
        ledger.reserve(entry("vid-c", "c0"), 10.0, 1.0)  # each video is far under its own $10
    assert ledger.batch_committed("bat-000000000007") == pytest.approx(0.85)
    assert ledger.batch_spent("bat-000000000007") == {"vid-a": 0.45}


def test_a_cap_stored_as_infinity_reads_as_no_cap(settings: Settings) -> None:
    """A batch stored before caps had to be finite (max_cost_usd 1e309, which meant "no cap") still reads, as no
    cap; a new batch's infinite cap is still refused."""
    db = BatchDB(settings.db_url)
    checked = check_rows(read_rows(CSV, "ads.csv"), settings, batch_id="bat-000000000001", user_id="ana")
    db.store(_batch(checked, cap=1.0), checked.requests)
    db.update("bat-000000000001", max_cost_usd=float("inf"))  # as an older vidgen stored 1e309
    assert db.get("bat-000000000001").max_cost_usd is None
    with pytest.raises(ValidationError):
        _batch(checked, cap=float("inf"))
