"""The requests, takes and uploads tables on SQLite (embedded) and on the machine's PostgreSQL (deployment); the
words a user reads for a failure."""

from __future__ import annotations

import re
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from vidgen_core.domain.errors import InvalidRequest, MediaError, NotFound, TooBusy, plain_text
from vidgen_core.domain.models import AssetRole, Phase, ReferenceAsset
from vidgen_core.persistence.batches import BatchDB
from vidgen_core.persistence.ledger import Ledger
from vidgen_core.persistence.requests import RequestDB, Status, requests_table
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.persistence.trouble import Trouble, describe_error, plain_error, trouble
from vidgen_core.persistence.uploads import UploadDB, UploadRecord
from vidgen_core.pipeline.requests import build_request
from vidgen_core.pipeline.takes import new_line_take, new_take, select_take
from vidgen_core.settings import Settings


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, settings: Settings) -> RequestDB:
    if request.param == "sqlite":
        return RequestDB(settings.db_url)
    database = RequestDB(request.getfixturevalue("pg_url"))
    UploadDB(database.url)  # made on first use
    with database.engine.begin() as conn:  # the session database is shared: start each test empty
        conn.execute(sa.text("DELETE FROM video_requests"))
        conn.execute(sa.text("DELETE FROM uploads"))
    return database


def _request(settings: Settings, user: str = "ana", **kw: object):
    return build_request("Create a 15-second Nike ad", settings, user_id=user, **kw)  # type: ignore[arg-type]


def test_round_trip_keeps_the_whole_request(db: RequestDB, settings: Settings) -> None:
    request = _request(settings, title="Spring", description="for runners", reference_assets=["asset-1"])
    record = db.submit(request)
    assert record.status == Status.QUEUED and record.request_id.startswith("req-")
    again = db.get(request.video_id)
    assert again.request.model_dump(exclude={"request_id"}) == request.model_dump(exclude={"request_id"})
    assert again.title == "Spring" and again.description == "for runners"
    assert again.request.reference_assets == [ReferenceAsset(asset_id="asset-1", role=AssetRole.PRODUCT)]
    assert again.created_at.tzinfo is not None and (datetime.now(UTC) - again.created_at).total_seconds() < 60
    assert db.find("vid-missing") is None
    with pytest.raises(NotFound):
        db.get("vid-missing")


def test_one_active_video_per_user(db: RequestDB, settings: Settings) -> None:
    first = db.submit(_request(settings), max_active=1)
    with pytest.raises(TooBusy) as busy:
        db.submit(_request(settings), max_active=1)
    assert first.video_id in str(busy.value) and "wait until it finishes" in str(busy.value)
    db.submit(_request(settings, user="ben"), max_active=1)  # other users are not held up
    db.update(first.video_id, status=Status.COMPLETE)
    db.submit(_request(settings), max_active=1)  # finished videos do not count


def test_a_video_already_queued_or_running_is_not_queued_again(db: RequestDB, settings: Settings) -> None:
    """Two regenerations at once both find the video idle; the second one's requeue is refused, not a second run."""
    video = db.submit(_request(settings)).video_id
    db.update(video, status=Status.COMPLETE)
    db.requeue(video, "regen-1")

    def attempt(key: str) -> bool:
        try:
            db.requeue(video, key)
            return True
        except InvalidRequest as exc:
            assert f"video {video} is still queued; wait until it ends" in str(exc)
            return False

    assert not attempt("regen-2") and db.get(video).wanted_run_key == "regen-1"
    db.update(video, status=Status.RUNNING)
    with pytest.raises(InvalidRequest, match="is still running"):
        db.requeue(video, "regen-3")
    db.update(video, status=Status.FAILED)
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(attempt, [f"race-{i}" for i in range(16)])) == 1


def test_concurrent_submits_respect_the_limit(db: RequestDB, settings: Settings) -> None:
    def attempt(_: int) -> bool:
        try:
            db.submit(_request(settings, user="racer"), max_active=1)
            return True
        except TooBusy:
            return False

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(attempt, range(24)))
    assert outcomes.count(True) == 1
    assert len(db.pending(after_seq=0)) == 1


def test_pending_lists_new_queued_requests_in_order(db: RequestDB, settings: Settings) -> None:
    before = datetime.now(UTC)
    records = [db.submit(_request(settings, user=f"u{i}")) for i in range(4)]
    db.update(records[1].video_id, status=Status.RUNNING)
    queued = [records[i].video_id for i in (0, 2, 3)]
    assert [r.video_id for r in db.pending(after_seq=0)] == queued
    assert [r.video_id for r in db.pending(after_seq=records[2].seq)] == [records[3].video_id]
    assert [r.video_id for r in db.queued_since(before)] == queued
    assert [r.video_id for r in db.silent_since(datetime.now(UTC))] == [records[1].video_id]  # the running one


def test_progress_only_moves_forward_and_stops_when_finished(db: RequestDB, settings: Settings) -> None:
    video = db.submit(_request(settings)).video_id
    db.report(video, Phase.VIDEO_CHUNKS, 2, 4, 50.0)
    row = db.get(video)
    assert row.status == Status.RUNNING and row.current_phase == "video_chunks"
    assert (row.chunk_index, row.total_chunks) == (2, 4) and row.started_at is not None
    assert row.progress == 50.0
    db.report(video, Phase.MUSIC, 0, 1, 30.0)  # a phase that runs alongside: the bar does not go back
    assert db.get(video).progress == 50.0 and db.get(video).current_phase == "music"
    db.update(video, status=Status.FAILED, error="x")
    db.report(video, Phase.FINAL_VIDEO, 1, 1, 100.0)
    assert db.get(video).status == Status.FAILED and db.get(video).progress == 50.0


def test_uploads_are_scoped_to_their_owner(db: RequestDB) -> None:
    asset = UploadRecord(
        asset_id=f"asset-{uuid.uuid4().hex[:16]}",
        user_id="ana",
        key="ana/assets/x.png",
        content_type="image/png",
        size_bytes=10,
        filename="x.png",
        created_at=datetime.now(UTC),
    )
    uploads = UploadDB(db.url)
    uploads.add(asset)
    assert [u.asset_id for u in uploads.of("ana", [asset.asset_id])] == [asset.asset_id]
    assert uploads.of("ben", [asset.asset_id]) == []


def test_a_database_made_by_an_older_vidgen_gains_the_new_columns_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the requests table as the previous release made it: no run_key
        columns = [
            f"{c.name} {c.type.compile()}" + (" PRIMARY KEY" if c.primary_key else "")
            for c in requests_table.columns
            if c.name != "run_key"
        ]
        conn.execute(f"CREATE TABLE video_requests ({', '.join(columns)})")
    url = f"sqlite:///{path}"
    db = RequestDB(url)
    record = db.submit(build_request("Create a 15-second Nike ad", Settings(home=tmp_path), user_id="ana"))
    db.update(record.video_id, status=Status.COMPLETE)
    assert db.requeue(record.video_id, "req-x-again").wanted_run_key == "req-x-again"
    assert set(sa.inspect(db.engine).get_table_names()) == {"video_requests"}  # each table is made on first use
    for table in (TakeDB, LineTakeDB, Ledger, UploadDB, BatchDB):
        table(url)
    tables = set(sa.inspect(db.engine).get_table_names())
    assert tables == {"video_requests", "beat_takes", "line_takes", "spend_ledger", "uploads", "video_batches"}


def test_a_new_take_without_prompts_keeps_the_current_takes(db: RequestDB) -> None:
    video, takes = f"vid-{uuid.uuid4().hex[:12]}", TakeDB(db.url)
    assert new_take(takes, video, 1).image_prompt is None  # from the plan: nothing to keep
    custom = new_take(takes, video, 1, "the shoe in the rain", "slow push in")
    reroll = new_take(takes, video, 1)  # the API's `{}`, the CLI without --prompt, the launchpad's bare beat
    assert (reroll.take, reroll.image_prompt, reroll.motion_prompt) == (3, "the shoe in the rain", "slow push in")
    motion = new_take(takes, video, 1, motion_prompt="orbit left")  # only the motion changes
    assert (motion.image_prompt, motion.motion_prompt) == ("the shoe in the rain", "orbit left")
    select_take(takes, video, 1, 0)  # back to the plan's take: a re-roll of it has the plan's prompts again
    assert new_take(takes, video, 1).image_prompt is None
    select_take(takes, video, 1, custom.take)
    assert new_take(takes, video, 1).image_prompt == "the shoe in the rain"
    assert takes.current(video)[0].take == 6 and new_take(takes, video, 2).image_prompt is None  # beats are apart


def test_line_takes_are_numbered_and_selected_apart_from_picture_takes(db: RequestDB) -> None:
    video, takes, lines = f"vid-{uuid.uuid4().hex[:12]}", TakeDB(db.url), LineTakeDB(db.url)
    new_take(takes, video, 1, "the shoe in the rain")  # picture take 1 of beat 1
    first = new_line_take(lines, video, 1, "Run the rain.")
    voiced = new_line_take(lines, video, 1, voice="onyx")  # a new voice reads the current line
    assert [(t.take, t.line, t.voice) for t in (first, voiced)] == [
        (1, "Run the rain.", None),
        (2, "Run the rain.", "onyx"),
    ]
    again = new_line_take(lines, video, 1, "Own the storm.")  # a new line keeps the voice
    assert (again.take, again.line, again.voice) == (3, "Own the storm.", "onyx")
    assert [(t.beat_index, t.take) for t in takes.current(video)] == [(1, 1)]  # the picture is where it was
    assert [t.take for t in lines.all(video)] == [0, 1, 2, 3]  # the plan's line became take 0
    assert select_take(lines, video, 1, 1).line == "Run the rain."  # back to an earlier line, made current
    assert [(t.take, t.line, t.voice) for t in lines.current(video)] == [(1, "Run the rain.", None)]
    assert select_take(lines, video, 1, 0).line is None  # the plan's own line
    with pytest.raises(NotFound, match=r"beat 1 of video .* has no line take 9"):
        select_take(lines, video, 1, 9)
    assert new_line_take(lines, video, 2, "Go.").take == 1 and new_line_take(lines, video, 1, "Go.").take == 4
    assert [t.take for t in takes.all(video)] == [0, 1]  # no line take ever added a picture take


def test_one_run_gets_one_line_take_however_often_it_is_retried(db: RequestDB) -> None:
    video, lines = f"vid-{uuid.uuid4().hex[:12]}", LineTakeDB(db.url)
    checked = []
    made = new_line_take(lines, video, 0, "Fresh every morning.", run_id="run-a", check=lambda: checked.append(1))
    retried = new_line_take(lines, video, 0, "Fresh every morning.", run_id="run-a", check=lambda: checked.append(1))
    assert (made.take, retried.take, len(checked)) == (1, 1, 1)  # the retry is not checked (nor paid) again


# -- error text a user sees ----------------------------------------------------------------------------------------

_SEGMENT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+~%=#", min_size=1, max_size=12)
_TEMPLATES = [
    "cannot open {} for writing",
    "no such file or directory: '{}'",
    'could not read "{}"',
    "file://{}",
    "ffmpeg: {}: invalid data found",
    "({})",
    "path={}",
    "open:{}",
    "{}",
    "written to {}.",
    "see {}, then try again",
    "first line\n{}\nlast line",
    "stderr: b'frame\\n{}\\n'",  # a repr of ffmpeg's bytes: an escaped newline before the path
]


@given(dirs=st.lists(_SEGMENT, min_size=1, max_size=6), name=_SEGMENT, template=st.sampled_from(_TEMPLATES))
def test_no_absolute_path_survives(dirs: list[str], name: str, template: str) -> None:
    """Server paths (/srv/final.mp4, /home/u/.vidgen/storage/..., /tmp/tmpab/x.wav) in any error's words: none of
    their characters survives (the path's are upper case and digits, the words' lower case)."""
    path = "/" + "/".join([*dirs, name])
    text = plain_error(template.format(path))
    assert not re.search(r"[A-Z0-9]", text), (path, text)
    assert "a file" in text


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("cannot open /srv/final.mp4 for writing", "cannot open a file for writing"),
        ("file:///home/u/.vidgen/storage/a.mp4", "a file"),
        ("missing ~/.vidgen/storage/a.mp4", "missing a file"),
        ("upload images with POST /api/upload and use its asset_ids", None),  # the API's own route is kept
        ("see http://127.0.0.1:3000/runs/b/abc", None),  # a URL keeps its path
        ("1/2 of the beats and/or the music", None),
        ("dagster._core.errors.DagsterExecutionInterruptedError", ""),
        ("psycopg2.errors.UndefinedTable: relation x does not exist", "relation x does not exist"),
        ("vidgen_core.domain.errors.MediaError: ffmpeg failed: /tmp/tmpab/x.wav: bad", "ffmpeg failed: a file: bad"),
        ("Exception: boom", "boom"),
        ("final.mp4: not found", None),  # a file's name is not a class
    ],
)
def test_plain_error_drops_paths_and_class_names(text: str, plain: str | None) -> None:
    assert plain_error(text) == (text if plain is None else plain)


def test_a_known_root_leaves_the_users_key_even_with_spaces_in_it() -> None:
    text = "cannot write /home/my user/.vidgen/storage/ana/a.mp4 in /home/my user/.vidgen now"
    assert plain_text(text, "/home/my user/.vidgen") == "cannot write storage/ana/a.mp4 in a file now"


def test_a_vidgen_errors_text_is_scrubbed_too() -> None:
    error = MediaError("ffmpeg failed: /tmp/tmpq1/clip_00.mp4: Invalid data found when processing input")
    assert describe_error(error) == "ffmpeg failed: a file: Invalid data found when processing input"


def _operational(driver_error: Exception) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, driver_error)


def test_only_unreachable_databases_are_unreachable(tmp_path: Path) -> None:
    """A database that cannot be opened or reached is a fault to wait out; a missing table or bad SQL is a bug."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(sa.exc.OperationalError) as missing, engine.connect() as conn:
        conn.execute(sa.text("SELECT * FROM nowhere"))
    with pytest.raises(sa.exc.OperationalError) as unopenable:
        sa.create_engine(f"sqlite:///{tmp_path}/no/such/dir/x.db").connect()
    with pytest.raises(sa.exc.OperationalError) as refused:
        sa.create_engine("postgresql+psycopg2://vidgen@127.0.0.1:1/vidgen").connect()
    assert trouble(missing.value) is None
    assert trouble(_operational(sqlite3.OperationalError('near "SELEC": syntax error'))) is None
    assert trouble(_operational(sqlite3.OperationalError("no such column: x"))) is None
    assert trouble(unopenable.value) == Trouble.UNREACHABLE
    assert trouble(refused.value) == Trouble.UNREACHABLE
    assert trouble(_operational(sqlite3.OperationalError("server closed the connection unexpectedly"))) == (
        Trouble.UNREACHABLE
    )


def test_a_cap_stored_as_infinity_reads_as_no_cap(settings: Settings) -> None:
    """A request stored before caps had to be finite (max_cost_usd 1e309, meaning "no cap") still reads: every list
    of the user's videos holds it."""
    db = RequestDB(settings.db_url)
    record = db.submit(_request(settings))
    options = record.request.model_dump(mode="json") | {"max_cost_usd": float("inf")}
    with db.engine.begin() as conn:  # as an older vidgen stored it (SQLite's JSON keeps Infinity)
        conn.execute(
            requests_table.update().where(requests_table.c.video_id == record.video_id).values(options=options)
        )
    assert db.get(record.video_id).request.max_cost_usd is None
    assert db.page("ana", 10)[1] == 1
