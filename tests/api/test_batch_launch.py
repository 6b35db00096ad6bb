"""A batch's backfill: its title is one Dagster accepts (the user's kept in our table and in a tag the backfills list
shows), and a backfill the webserver refuses, for any reason, leaves nothing behind that holds a batch slot."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.definitions.utils import is_valid_title  # Dagster's own rule, as the webserver applies it
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.webserver import LAUNCHED, REFUSED, FakeWebserver
from tests.support import auth
from vidgen_core.domain.errors import NotFound
from vidgen_core.persistence.batches import BatchDB
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.settings import Settings
from vidgen_dagster.backfills import BACKFILL_TITLE_MAX_CHARS, BATCH_TITLE_TAG, backfill_title
from vidgen_dagster.partitions import videos


@pytest.fixture
def webserver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWebserver]:
    """Ask for it before the app: the app's settings read VIDGEN_DAGSTER_URL."""
    server = FakeWebserver(request.param).start()
    monkeypatch.setenv("VIDGEN_DAGSTER_URL", server.url)
    yield server
    server.stop()


@given(st.text(max_size=300))
def test_every_title_becomes_one_dagster_accepts(title: str) -> None:
    made = backfill_title(title, "bat-000000000001")
    assert is_valid_title(made) and 0 < len(made) <= BACKFILL_TITLE_MAX_CHARS
    if is_valid_title(title) and title == " ".join(title.split()) and title:
        assert made == title  # a title Dagster takes is kept as it is


def test_refused_characters_become_look_alikes() -> None:
    assert backfill_title('100% "best" *ads*.csv', "bat-1") == "100％ ”best” ∗ads∗.csv"
    assert backfill_title("x" * 150, "bat-1") == "x" * 99 + "…"


@pytest.mark.parametrize("webserver", [LAUNCHED], indirect=True)
def test_the_users_title_is_kept_and_shown_in_a_tag(webserver: FakeWebserver, client: TestClient) -> None:
    title = '100% "best" *ads*'
    made = client.post(
        "/api/batch", json={"rows": [{"prompt": "A 5-second Nike ad"}], "title": title}, headers=auth("ana")
    )
    assert made.status_code == 200, made.text
    sent = webserver.launched[0]
    assert sent["title"] == "100％ ”best” ∗ads∗" and {"key": BATCH_TITLE_TAG, "value": title} in sent["tags"]
    status = client.get(f"/api/batch/{made.json()['batch_id']}", headers=auth("ana")).json()
    assert status["title"] == title


@pytest.mark.parametrize("webserver", [REFUSED], indirect=True)
def test_a_refused_backfill_keeps_nothing_and_holds_no_slot(
    webserver: FakeWebserver, client: TestClient, api_settings: Settings, instance: dg.DagsterInstance
) -> None:
    rows = [{"prompt": "A 5-second Nike ad"}, {"prompt": "A 5-second Lego ad"}]
    for attempt in range(3):  # more than the two batches a user may have in flight
        refused = client.post("/api/batch", json={"rows": rows}, headers=auth("ana"))
        assert refused.status_code == 502, (attempt, refused.text)
        detail = refused.json()["detail"]
        assert "submit it again" in detail and "the code location is reloading" in detail
        assert "Error" not in detail and "dagster." not in detail  # no class name
    assert len(webserver.launched) == 3
    assert RequestDB(api_settings.db_url).page("ana", 10)[1] == 0
    assert instance.get_dynamic_partitions(videos.name) == []
    batch_id = webserver.launched[0]["tags"][0]["value"]
    with pytest.raises(NotFound):
        BatchDB(api_settings.db_url).get(batch_id)


@pytest.mark.parametrize("webserver", [LAUNCHED], indirect=True)
def test_batches_have_their_own_limit(webserver: FakeWebserver, client: TestClient) -> None:
    rows = [{"prompt": "Create a 6-second Nike ad"}]
    for _ in range(2):
        assert client.post("/api/batch", json={"rows": rows}, headers=auth("ana")).status_code == 200
    third = client.post("/api/batch", json={"rows": rows}, headers=auth("ana"))
    assert third.status_code == 429 and "2 batches in progress" in third.json()["detail"]
    alone = client.post("/api/generate", json={"prompt": "A 5-second Nike ad"}, headers=auth("ana"))
    assert alone.status_code == 200  # batches in flight do not hold the one-video limit
