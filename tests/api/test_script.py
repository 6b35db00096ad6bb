"""The script's doors in the API: the voice, captions and language of a new video; a new take of a beat's line,
refused with what to fix; and signed links to the voice track, the music stem and the caption files."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import auth, delivered_by_hand
from vidgen_core.adapters.local.planner import LocalPlanner
from vidgen_core.adapters.storage import LocalStore, VideoKeys
from vidgen_core.domain.models import Captions, CaptionStyle, Phase, RenderedVideo
from vidgen_core.domain.script import word_budget
from vidgen_core.persistence.requests import RequestDB, Status
from vidgen_core.settings import Settings


def _refused(response, fragment: str, field: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert fragment in error["msg"] and error["loc"][-1] == field, error


def test_generate_takes_the_voice_captions_and_language(client: TestClient, api_settings: Settings) -> None:
    body = {
        "prompt": "Create a 6-second Nike ad",
        "voice": "onyx",
        "speech_model": "tts-1-hd",
        "captions": "sidecar",
        "caption_style": "outline",
        "language": "es",
    }
    made = client.post("/api/generate", json=body, headers=auth("ana"))
    assert made.status_code == 200, made.text
    request = RequestDB(api_settings.db_url).request(made.json()["video_id"])
    narration = request.narration
    assert (narration.voice, narration.speech_model, request.language) == ("onyx", "tts-1-hd", "es")
    assert (narration.captions, narration.caption_style) == (Captions.SIDECAR, CaptionStyle.OUTLINE)


def test_generate_says_which_voices_and_languages_there_are(client: TestClient) -> None:
    ask = {"prompt": "Create a 6-second Nike ad"}
    unknown = client.post("/api/generate", json=ask | {"voice": "marin", "speech_model": "tts-1"}, headers=auth("ana"))
    _refused(unknown, "tts-1 has no voice 'marin'; choose one of: alloy, ash", "voice")
    assert unknown.json()["detail"][0]["msg"].endswith("sage, shimmer, none")  # tts-1's voices, or no voiceover
    for field, value in (("language", "it"), ("captions", "subtitles"), ("speech_model", "eleven-v3")):
        wrong = client.post("/api/generate", json=ask | {field: value}, headers=auth("ana"))
        assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", field], wrong.text
    silent = client.post("/api/generate", json=ask | {"voice": "none"}, headers=auth("ana"))
    assert silent.status_code == 200, silent.text


def test_a_new_line_is_a_line_take_and_each_refusal_says_what_to_fix(
    client: TestClient, api_settings: Settings
) -> None:
    video, db = delivered_by_hand(api_settings, "ana"), RequestDB(api_settings.db_url)
    url = f"/api/video/{video}/beats/1/regenerate"
    spec = LocalPlanner().plan(db.request(video)).spec
    budget = word_budget(spec, spec.beats[1])
    _refused(client.post(url, json={"line": ""}, headers=auth("ana")), "the line for beat 1 is empty", "line")
    long = " ".join(["run"] * (budget + 1))
    over = client.post(url, json={"line": long}, headers=auth("ana"))
    _refused(over, f"has {budget + 1} words and the beat has room for {budget}", "line")
    voice = client.post(url, json={"line": "Built for rain.", "voice": "coral"}, headers=auth("ana"))
    _refused(voice, "minimax-speech-2.6-turbo has no voice 'coral'; choose one of:", "voice")
    mixed = client.post(url, json={"line": "Built for rain.", "prompt": "the shoe on ice"}, headers=auth("ana"))
    _refused(mixed, "one regeneration at a time", "line")
    back_and_new = client.post(url, json={"line_take": 0, "line": "Built for rain."}, headers=auth("ana"))
    assert back_and_new.status_code == 422 and "give a take (take or line_take) alone" in back_and_new.text

    made = client.post(url, json={"line": "Built for rain.", "voice": "Deep_Voice_Man"}, headers=auth("ana"))
    assert made.status_code == 200, made.text
    assert {k: made.json()[k] for k in ("beat", "take", "line_take", "estimate_usd")} == {
        "beat": 1,
        "take": 0,  # the picture is kept
        "line_take": 1,
        "estimate_usd": 0.0,  # offline speech
    }
    db.update(video, status=Status.COMPLETE)  # as if its run had finished
    again = client.post(url, json={"voice": "Calm_Woman"}, headers=auth("ana"))  # a new voice reads the same line
    assert again.status_code == 200 and again.json()["line_take"] == 2
    db.update(video, status=Status.COMPLETE)
    beat = client.get(f"/api/video/{video}", headers=auth("ana")).json()["beats"][1]
    assert (beat["line"], beat["voice"], beat["line_take"], beat["line_takes"]) == (
        "Built for rain.",
        "Calm_Woman",
        2,
        [0, 1, 2],
    )
    assert (beat["take"], beat["takes"]) == (0, [0])
    back = client.post(url, json={"line_take": 1}, headers=auth("ana"))
    assert back.status_code == 200 and (back.json()["line_take"], back.json()["estimate_usd"]) == (1, 0.0)
    db.update(video, status=Status.COMPLETE)
    assert client.post(url, json={"line_take": 7}, headers=auth("ana")).status_code == 404


def test_status_links_the_voice_track_the_music_stem_and_the_captions(
    client: TestClient, api_settings: Settings
) -> None:
    video = delivered_by_hand(api_settings, "ana")
    status = client.get(f"/api/status/{video}", headers=auth("ana")).json()
    assert (status["voice_url"], status["music_mix_url"], status["caption_urls"]) == (None, None, {})  # none made
    keys, store = VideoKeys("ana", video), LocalStore(api_settings.storage_dir)
    files = {
        keys.voice(): b"RIFF voice",
        keys.music_mix(): b"RIFF music",
        keys.captions("srt"): b"1\n00:00:00,300 --> 00:00:01,500\nJust do it.\n",
        keys.captions("vtt"): b"WEBVTT\n\n00:00.300 --> 00:01.500\nJust do it.\n",
        keys.captions("ass"): b"[Script Info]\n",
    }
    for key, data in files.items():
        store.put_bytes(key, data)
    final = RenderedVideo(
        key=keys.final(),
        duration_s=12.0,
        width=1920,
        height=1080,
        fps=24.0,
        has_audio=True,
        size_bytes=17,
        voice_key=keys.voice(),
        music_mix_key=keys.music_mix(),
        captions={ext: keys.captions(ext) for ext in ("srt", "vtt", "ass")},
        captions_burned=True,
    )
    store.put_bytes(keys.manifest(Phase.FINAL_VIDEO), final.model_dump_json().encode())
    status = client.get(f"/api/status/{video}", headers=auth("ana")).json()
    assert set(status["caption_urls"]) == {"srt", "vtt"}  # the ass file only draws the burned captions
    links = [status["voice_url"], status["music_mix_url"], status["caption_urls"]["srt"], status["caption_urls"]["vtt"]]
    wanted = [keys.voice(), keys.music_mix(), keys.captions("srt"), keys.captions("vtt")]
    for link, key in zip(links, wanted, strict=True):
        got = client.get(link)  # signed: no API key needed
        assert got.status_code == 200 and got.content == files[key], link
    details = client.get(f"/api/video/{video}", headers=auth("ana")).json()  # the details carry them too
    assert details["voice_url"] and details["music_mix_url"] and set(details["caption_urls"]) == {"srt", "vtt"}
