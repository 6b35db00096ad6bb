"""The code location the UI loads: workspace.yaml resolves and the definitions validate."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef

from api.links import Links
from tests.support import CHECKS, metadata_of
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.registry import paid_provider
from vidgen_core.adapters.storage import LocalStore, VideoKeys, owner_key
from vidgen_core.domain.catalog import Kind
from vidgen_core.domain.checks import CheckName
from vidgen_core.domain.errors import BudgetExceeded, InvalidRequest
from vidgen_core.domain.models import Phase, Storyboard, VideoSpec
from vidgen_core.domain.shown import Column, Preview, Stored, Table
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.persistence.takes import LineTakeDB, TakeDB
from vidgen_core.pipeline.registry import ORDER, PHASES, Source, percent
from vidgen_core.pipeline.requests import build_request
from vidgen_core.settings import Settings, get_settings
from vidgen_dagster.assets import _new_take
from vidgen_dagster.definitions import build_definitions, defs
from vidgen_dagster.instance import config_gaps, configure_pools, pool_limits
from vidgen_dagster.io_manager import ManifestIOManager
from vidgen_dagster.metadata import metadata_value
from vidgen_dagster.partitions import videos
from vidgen_dagster.resources import DatabaseResource, ProvidersResource, SpecConfig, StoreResource
from vidgen_dagster.serve import OWNERS_INDEXED, index_owners

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # starts the dagster CLI, which loads the code location
def test_workspace_validates(tmp_path: Path) -> None:
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path), VIDGEN_HOME=str(tmp_path / "vidgen"))
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Validation successful" in proc.stdout + proc.stderr


def test_graph_shape() -> None:
    graph = defs.resolve_asset_graph()
    parents = {
        k.to_user_string(): sorted(p.to_user_string() for p in graph.get(k).parent_keys)
        for k in graph.get_all_asset_keys()
    }
    assert parents == {
        Source.VIDEO_REQUEST: [],
        Phase.VIDEO_SPEC: [Source.VIDEO_REQUEST],
        Phase.STORYBOARD: [Source.VIDEO_REQUEST, Phase.VIDEO_SPEC],
        Phase.MUSIC: [Phase.VIDEO_SPEC],
        Phase.VOICEOVER: [Source.VIDEO_REQUEST, Phase.VIDEO_SPEC],
        Phase.VIDEO_CHUNKS: [Phase.STORYBOARD, Source.VIDEO_REQUEST, Phase.VIDEO_SPEC],
        Phase.STITCHED_VIDEO: [Phase.VIDEO_CHUNKS, Phase.VIDEO_SPEC],
        Phase.FINAL_VIDEO: [Phase.MUSIC, Phase.STITCHED_VIDEO, Phase.VIDEO_SPEC, Phase.VOICEOVER],
        Phase.PREVIEW: [Phase.STORYBOARD, Phase.VIDEO_SPEC],
        Phase.ASPECTS: [Phase.MUSIC, Phase.VIDEO_CHUNKS, Phase.VIDEO_SPEC, Phase.VOICEOVER],
        Phase.DELIVERABLES: [
            Phase.ASPECTS,
            Phase.FINAL_VIDEO,
            Phase.MUSIC,
            Phase.STITCHED_VIDEO,
            Phase.VIDEO_CHUNKS,
            Phase.VIDEO_SPEC,
            Phase.VOICEOVER,
        ],
    }
    assert all(graph.get(k).partitions_def.name == "videos" for k in graph.get_all_asset_keys())
    assert all(graph.get(k).code_version for k in graph.materializable_asset_keys)
    assert graph.get(dg.AssetKey(Source.VIDEO_REQUEST.value)).is_external  # reported by runless observations


def test_every_asset_check_says_what_it_verifies() -> None:
    graph = defs.resolve_asset_graph()
    described = {key.name: graph.get_check_spec(key).description for key in graph.asset_check_keys}
    assert set(described) == CHECKS
    assert all(text and len(text) > 30 for text in described.values()), described
    assert "5 ms" in described[CheckName.TIMING_EXACT] and "-14 ± 1 LUFS" in described[CheckName.LOUDNESS_ON_TARGET]


def test_the_graph_is_the_phase_registry() -> None:
    """Every made asset is a registered phase, with the registry's checks; the shares make 100 %."""
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.materializable_asset_keys} == set(PHASES)
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert checks == {(phase, name) for phase, entry in PHASES.items() for name in entry.checks}
    assert sum(entry.share for entry in PHASES.values()) == 100.0
    assert percent(ORDER[-1], 1, 1) == 100.0 and percent(ORDER[0], 0, 1) == 0.0
    keys = VideoKeys("ana", "v1")
    assert [PHASES[p].key(keys) for p in (Phase.VIDEO_SPEC, Phase.MUSIC)] == [keys.spec(), keys.manifest(Phase.MUSIC)]


def test_a_runs_progress_reaches_its_row_as_the_registrys_percentage(settings: Settings) -> None:
    db = DatabaseResource(url=settings.db_url)
    video = db.requests().submit(build_request("Create a 15-second Nike ad", settings, user_id="ana")).video_id
    db.progress(video)(Phase.VIDEO_CHUNKS, 2, 4)
    row = db.requests().get(video)
    assert row.progress == percent(Phase.VIDEO_CHUNKS, 2, 4) > 0 and (row.chunk_index, row.total_chunks) == (2, 4)


def test_facts_become_metadata_the_ui_reads_well(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables with a typed schema, numbers as numbers, files as paths, and a preview as its file plus, beside a
    running service, an image on the API behind a lasting signed link."""
    store = LocalStore(settings.storage_dir)
    key = VideoKeys("ana", "v1").preview(Phase.STORYBOARD)
    store.put_bytes(key, b"\xff\xd8jpeg")
    costs = Table((Column("item", str), Column("usd", float)), [("beat_00", 0.04)])
    shown = {"images": 4, "wall": 1.5, "costs": costs, "file": Stored(key), "preview": Preview(key)}
    alone = {k: v for name, value in shown.items() for k, v in metadata_value(name, value, store, settings).items()}
    assert (alone["images"], alone["wall"]) == (4, 1.5)
    assert [(c.name, c.type) for c in alone["costs"].schema.columns] == [("item", "string"), ("usd", "float")]
    assert alone["costs"].records[0].data == {"item": "beat_00", "usd": 0.04}
    assert alone["file"] == alone["preview_file"] == dg.MetadataValue.path(str(store.local_path(key)))
    assert "preview" not in alone  # no API to draw it from: the path only

    settings.service_file.parent.mkdir(parents=True, exist_ok=True)
    settings.service_file.write_text(json.dumps({"pid": os.getpid(), "ui_url": "x", "api_url": "http://api:8000"}))
    image = metadata_value("preview", Preview(key), store, settings)["preview"]
    link = re.fullmatch(r"!\[preview\]\((http://api:8000/api/previews/(\S+)\?signature=(\w+))\)", image.value)
    assert link is not None and unquote(link[2]) == key
    assert Links(store, settings).preview_valid(key, link[3]) and "base64" not in image.value

    deployed = settings.model_copy(update={"api_url": "https://ads.example.com/"})  # VIDGEN_API_URL wins
    image = metadata_value("preview", Preview(key), store, deployed)["preview"]
    assert image.value.startswith("![preview](https://ads.example.com/api/previews/")


def test_shipped_instance_config_turns_telemetry_and_the_community_pop_up_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # the event log's folder, as `vidgen` sets it
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        assert instance.telemetry_enabled is False
        assert instance.nux_enabled is False
        assert instance.get_settings("concurrency")["runs"]["max_concurrent_runs"] == 2


def test_shipped_instance_keeps_dagsters_default_event_log_with_the_provider_pools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    settings = Settings(home=tmp_path / "vidgen")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        storage = instance.event_log_storage
        assert type(storage).__name__ == "SqliteEventLogStorage"  # a file per run, under history/runs only
        assert (tmp_path / "history" / "runs" / "index.db").is_file()
        configure_pools(instance, settings)  # what `vidgen init` and every CLI command do
        assert storage.supports_global_concurrency_limits
        assert storage.get_concurrency_info("replicate").slot_count == settings.replicate_concurrency
        assert instance.get_settings("sensors") == {"use_threads": True, "num_submit_workers": 4}


def test_both_instance_files_have_dagsters_monitor_give_back_a_killed_runs_pool_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    for name in ("HOST", "PORT", "USER", "PASSWORD", "DB"):  # the deployment file is only read, never connected to
        monkeypatch.setenv(f"DAGSTER_PG_{name}", "5432" if name == "PORT" else "x")
    shutil.copyfile(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 30
        assert config_gaps(instance) == []
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    deploy = InstanceRef.from_dir(str(tmp_path)).settings["run_monitoring"]  # what its instance's settings are
    assert deploy["enabled"] and deploy["free_slots_after_run_end_seconds"] == 30


def test_a_home_made_with_the_one_file_event_log_keeps_it_and_is_told_of_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    config["event_log_storage"] = {  # what vidgen shipped before
        "module": "dagster._core.storage.event_log",
        "class": "ConsolidatedSqliteEventLogStorage",
        "config": {"base_dir": {"env": "DAGSTER_HOME"}},
    }
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        configure_pools(instance, Settings(home=tmp_path / "vidgen"))  # it still works
        (gap,) = config_gaps(instance)
        assert "remove its event_log_storage section" in gap


def test_deploy_instance_config_turns_telemetry_and_the_community_pop_up_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "DB"):  # only read, never connected to here
        monkeypatch.setenv(f"DAGSTER_PG_{name}", "5432" if name == "PORT" else "x")
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["telemetry"] == {"enabled": False}
    assert config["nux"] == {"enabled": False}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {},
            {
                Phase.VIDEO_SPEC: {"local"},
                Phase.STORYBOARD: {"pillow"},
                Phase.MUSIC: {"numpy"},
                Phase.VOICEOVER: {"piper"},
                Phase.VIDEO_CHUNKS: {"ffmpeg"},
                Phase.ASPECTS: {"ffmpeg"},
            },
        ),
        (
            {"VIDGEN_PLANNER": "openai", "VIDGEN_MEDIA": "replicate"},
            {
                Phase.VIDEO_SPEC: {"openai"},
                Phase.STORYBOARD: {"replicate"},
                Phase.MUSIC: {"replicate"},
                Phase.VOICEOVER: {"replicate"},
                Phase.VIDEO_CHUNKS: {"replicate"},
                Phase.ASPECTS: {"replicate"},  # native aspects' clips; reframed ones are ffmpeg's alone
            },
        ),
    ],
)
def test_kind_badges_say_what_renders_in_this_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: dict[str, set[str]]
) -> None:
    for key in ("VIDGEN_PLANNER", "VIDGEN_MEDIA"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    graph = build_definitions(str(tmp_path)).resolve_asset_graph()
    kinds = {k.to_user_string(): set(graph.get(k).kinds) for k in graph.get_all_asset_keys()}
    assert kinds == {
        **expected,
        Phase.STITCHED_VIDEO: {"ffmpeg"},
        Phase.FINAL_VIDEO: {"ffmpeg"},
        Phase.PREVIEW: {"ffmpeg"},
        Phase.DELIVERABLES: {"ffmpeg"},
        Source.VIDEO_REQUEST: set(),
    }


def test_a_partitions_title_and_owner_are_in_its_plans_metadata_and_its_request_observation(
    settings: Settings, instance: dg.DagsterInstance
) -> None:
    request = build_request("Create a 10-second Nike ad", settings, user_id="ana", title='Spring "sale" 100%')
    RequestDB(settings.db_url).submit(request)
    instance.add_dynamic_partitions(videos.name, [request.video_id])
    job = build_definitions(str(settings.home)).resolve_job_def("generate_video")
    planned = job.execute_in_process(
        instance=instance, partition_key=request.video_id, asset_selection=[dg.AssetKey(Phase.VIDEO_SPEC.value)]
    )
    shown = metadata_of(planned)[Phase.VIDEO_SPEC]  # the asset's partition page shows its latest materialization
    assert (shown["title"], shown["user"]) == ('Spring "sale" 100%', "ana")
    (observed,) = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(Source.VIDEO_REQUEST.value), asset_partitions=[request.video_id]),
        limit=1,
    ).records
    meta = observed.asset_observation.metadata
    assert (meta["title"].value, meta["user"].value) == ('Spring "sale" 100%', "ana")


def test_a_rerun_of_a_launchpad_reroll_gets_its_take_back_when_the_budget_is_spent(settings: Settings) -> None:
    """A run retry or a UI re-execution of a launchpad re-roll: the ledger already counts its take's calls, so the
    budget is checked for a new take only, not for the one its root run already got."""
    request = build_request(
        "A 15-second ad for Nike shoes", settings, media="replicate", max_cost_usd=5.0, need_credentials=False
    )
    db = RequestDB(settings.db_url)
    db.submit(request)
    spent = {"usd": 0.0}
    ledger = SimpleNamespace(committed=lambda video_id: spent["usd"])
    takes = TakeDB(db.url)
    step = SimpleNamespace(request=request, db=SimpleNamespace(ledger=lambda: ledger, takes=lambda: takes))
    plan = LocalPlanner().plan(request).spec
    config = SpecConfig(regenerate_beat=1)
    _new_take(step, plan, config, "root-run")  # type: ignore[arg-type]
    spent["usd"] = 4.99  # the take's calls, paid or reserved by the killed run
    _new_take(step, plan, config, "root-run")  # type: ignore[arg-type]  # its retry: the same take, not refused
    assert [(t.beat_index, t.take) for t in takes.current(request.video_id)] == [(1, 1)]
    with pytest.raises(BudgetExceeded):  # another re-roll is still checked
        _new_take(step, plan, config, "another-run")  # type: ignore[arg-type]


def test_a_launchpad_line_take_reads_the_beats_line_anew_and_keeps_its_picture(settings: Settings) -> None:
    """``line`` and ``voice`` beside ``regenerate_beat`` make a take of that beat's line, once per run group; a voice
    alone reads the line the beat says now; prompts with a line are refused."""
    request = build_request("A 15-second ad for Nike shoes", settings)
    RequestDB(settings.db_url).submit(request)
    takes, lines = TakeDB(settings.db_url), LineTakeDB(settings.db_url)
    ledger = SimpleNamespace(committed=lambda video_id: 0.0)
    db = SimpleNamespace(ledger=lambda: ledger, takes=lambda: takes, line_takes=lambda: lines)
    step = SimpleNamespace(request=request, db=db)
    plan = LocalPlanner().plan(request).spec
    said = SpecConfig(regenerate_beat=1, line="Built for the rain.")
    _new_take(step, plan, said, "root-run")  # type: ignore[arg-type]
    _new_take(step, plan, said, "root-run")  # type: ignore[arg-type]  # its retry: the same take
    _new_take(step, plan, SpecConfig(regenerate_beat=1, voice="Deep_Voice_Man"), "voice-run")  # type: ignore[arg-type]
    current = [(t.beat_index, t.take, t.line, t.voice) for t in lines.current(request.video_id)]
    assert current == [(1, 2, "Built for the rain.", "Deep_Voice_Man")] and takes.all(request.video_id) == []
    spec = plan.with_takes(takes.current(request.video_id), lines.current(request.video_id))
    assert (spec.beats[1].take, spec.beats[1].line_take) == (0, 2)  # the picture's seeds are the plan's
    mixed = SpecConfig(regenerate_beat=1, image_prompt="the shoe on ice", line="Ice cold.")
    with pytest.raises(InvalidRequest, match="one regeneration at a time"):
        _new_take(step, plan, mixed, "mixed-run")  # type: ignore[arg-type]


def test_each_system_is_a_resource_configured_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The launchpad shows where media and rows go: the variables that are set, by name, else the values."""
    for key in ("VIDGEN_STORAGE", "VIDGEN_S3_BUCKET", "VIDGEN_S3_PREFIX", "VIDGEN_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    local = build_definitions(str(tmp_path / "local")).resources
    assert (local["store"].storage, local["store"].root) == ("local", str(tmp_path / "local" / "storage"))
    assert local["db"].url == f"sqlite:///{tmp_path / 'local' / 'vidgen.db'}"
    assert local["io_manager"].store is local["store"]  # the IO manager needs only the store

    monkeypatch.setenv("VIDGEN_STORAGE", "s3")
    monkeypatch.setenv("VIDGEN_S3_BUCKET", "ads")
    monkeypatch.setenv("VIDGEN_DATABASE_URL", "postgresql+psycopg2://vidgen@db/vidgen")
    deployed = build_definitions(str(tmp_path / "deployed")).resources
    shown = {name: getattr(deployed["store"], name) for name in ("storage", "s3_bucket", "s3_prefix")}
    assert shown == {
        "storage": dg.EnvVar("VIDGEN_STORAGE"),
        "s3_bucket": dg.EnvVar("VIDGEN_S3_BUCKET"),
        "s3_prefix": "",
    }
    assert all(isinstance(shown[name], dg.EnvVar) for name in ("storage", "s3_bucket"))
    assert isinstance(deployed["db"].url, dg.EnvVar) and deployed["db"].url == "VIDGEN_DATABASE_URL"
    assert isinstance(deployed["providers"], ProvidersResource)
    assert local["providers"].openai_model == "gpt-4o"  # the settings a run's calls use, shown in the launchpad
    assert (local["ffmpeg"].audio_bitrate, local["ffmpeg"].crf) == ("256k", 20)  # how the clips and master are encoded
    assert local["ffmpeg"].master_preset == "ultrafast"  # the cut's x264 speed, shown in the launchpad
    sharper = local["ffmpeg"].model_copy(update={"crf": 16})  # a launchpad run's own value
    assert sharper.settings().crf == 16 and local["ffmpeg"].settings().crf == 20
    monkeypatch.setenv("VIDGEN_REPLICATE_CALLS_IN_FLIGHT", "3")
    providers = build_definitions(str(tmp_path / "deployed")).resources["providers"]
    assert providers.replicate_calls_in_flight == dg.EnvVar.int("VIDGEN_REPLICATE_CALLS_IN_FLIGHT")
    launchpad = ProvidersResource(openai_model="gpt-4o-mini", replicate_calls_in_flight=2, local_calls_in_flight=1)
    assert (launchpad.settings().openai_model, launchpad.settings().replicate_calls_in_flight) == ("gpt-4o-mini", 2)


def test_every_provider_step_holds_the_pool_of_the_provider_that_serves_it(settings: Settings) -> None:
    graph = defs.resolve_asset_graph()
    pools = {k.to_user_string(): graph.get(k).pools for k in graph.materializable_asset_keys}
    served = {kind: paid_provider(get_settings(), kind) for kind in (Kind.LLM, Kind.VIDEO)}
    assert pools["video_spec"] == {served[Kind.LLM]}
    assert pools["storyboard"] == pools["music"] == pools["video_chunks"] == {served[Kind.VIDEO]}  # one step
    assert pools["aspects"] == {served[Kind.VIDEO]}  # native aspects make clips
    assert pools["stitched_video"] == pools["final_video"] == set()  # ffmpeg on this machine: no provider's pool
    assert set().union(*pools.values()) <= set(pool_limits(settings))  # each pool's slots are set by vidgen init


def test_the_io_manager_finds_a_videos_manifests_through_the_store_alone(tmp_path: Path, settings: Settings) -> None:
    """No requests database: the spec names the owner, and the store keeps it for the video's other keys."""
    request = build_request("Create a 10-second Nike ad", settings, user_id="ana", video_id="vid-io")
    spec = LocalPlanner().plan(request).spec
    manager = ManifestIOManager(store=StoreResource(root=str(tmp_path / "storage"), cache_dir=str(tmp_path / "c")))
    for asset, value in (("video_spec", spec), ("storyboard", Storyboard(images=[], costs=[]))):
        manager.handle_output(dg.build_output_context(asset_key=dg.AssetKey(asset), partition_key="vid-io"), value)
    keys = VideoKeys("ana", "vid-io")
    assert (tmp_path / "storage" / keys.spec()).is_file()  # the seed's layout, unchanged
    assert (tmp_path / "storage" / keys.manifest("storyboard")).is_file()
    owned = dg.build_input_context(
        asset_key=dg.AssetKey("video_spec"), partition_key="vid-io", dagster_type=dg.PythonObjectDagsterType(VideoSpec)
    )
    loaded = manager.load_input(owned)
    assert loaded == spec


def test_init_gives_videos_planned_before_owner_indexes_theirs(tmp_path: Path, settings: Settings) -> None:
    """A video planned by an older vidgen has its spec in the store but no owner index: `vidgen init` writes it
    (once), so a UI run of its later assets finds the manifests; a request never planned gets none."""
    db, store = RequestDB(settings.db_url), LocalStore(tmp_path / "storage")
    planned = build_request("Create a 10-second Nike ad", settings, user_id="ana", video_id="vid-old")
    queued = build_request("Create a 10-second Puma ad", settings, user_id="bo", video_id="vid-queued")
    for request in (planned, queued):
        db.submit(request)
    spec = LocalPlanner().plan(planned).spec
    store.put_bytes(VideoKeys("ana", "vid-old").spec(), spec.model_dump_json().encode())
    assert (index_owners(db, store), index_owners(db, store)) == (1, 0)
    assert store.exists(OWNERS_INDEXED)  # later starts of `vidgen serve` read one key, not every request's
    assert not store.exists(owner_key("vid-queued"))
    manager = ManifestIOManager(store=StoreResource(root=str(tmp_path / "storage"), cache_dir=str(tmp_path / "c")))
    context = dg.build_input_context(
        asset_key=dg.AssetKey("video_spec"), partition_key="vid-old", dagster_type=dg.PythonObjectDagsterType(VideoSpec)
    )
    assert manager.load_input(context) == spec


def test_a_run_in_this_process_uses_the_definitions_of_the_home_it_was_given(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`vidgen` run with one home while VIDGEN_HOME names another renders into the home it was given."""
    import vidgen_dagster.definitions as definitions
    from vidgen_dagster.execute import run_video

    class Built(Exception):
        pass

    homes: list[str | None] = []

    def built(home: str | None = None) -> dg.Definitions:
        homes.append(home)
        raise Built

    monkeypatch.setenv("VIDGEN_HOME", str(settings.home.parent / "elsewhere"))
    monkeypatch.setattr(definitions, "build_definitions", built)
    record = RequestDB(settings.db_url).submit(build_request("A 5-second Nike ad", settings))
    with pytest.raises(Built):
        run_video(record, settings, "cli")
    assert homes == [str(settings.home)]
