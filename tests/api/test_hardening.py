"""The holes found in testing: signed links cannot leave the store, 404s name no server path, uploads store only
decoded images (bombs 413, truncated 422, polyglots re-encoded), and a 422 never echoes a long input in full."""

from __future__ import annotations

import io
import json
import os
import struct
import time
import zipfile
import zlib
from pathlib import Path
from urllib.parse import quote

import dagster as dg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from tests.support import auth
from vidgen_core.adapters.storage import VideoKeys
from vidgen_core.adapters.storage.signing import preview_signature, signing_key
from vidgen_core.domain.errors import NotFound
from vidgen_core.domain.models import Phase
from vidgen_core.persistence.requests import RequestDB
from vidgen_core.settings import Settings

PNG_END = b"IEND\xaeB`\x82"
JPEG_END = b"\xff\xd9"


def _noise(size: tuple[int, int], kind: str, **params: object) -> bytes:
    """An image of random pixels (so it does not compress, and cutting it loses pixels)."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, kind, **params)
    return out.getvalue()


def _bomb(width: int, height: int) -> bytes:
    """A real, tiny PNG of ``width`` x ``height`` black 1-bit pixels (a few KB for hundreds of megapixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<html><script>alert(1)</script></html>")
    return out.getvalue()


def _paths(settings: Settings, tmp_path: Path) -> list[str]:
    """Absolute paths of this server that no answer may show."""
    return [str(tmp_path), str(tmp_path.resolve()), str(settings.storage_dir.resolve()), "/tmp/", "/etc/"]


def _signed(app: FastAPI, key: str, encoded: str | None = None) -> str:
    """``/api/files/...`` with a valid signature for ``key`` (made by the app's own signing key)."""
    links = app.state.services.links
    expires = int(time.time()) + 600
    return f"/api/files/{encoded or quote(key, safe='')}?expires={expires}&signature={links.signature(key, expires)}"


def test_a_valid_signature_never_reaches_outside_the_store(
    app: FastAPI, client: TestClient, api_settings: Settings, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    store = api_settings.storage_dir
    (store / "ana").mkdir(parents=True)
    (store / "ana" / "mine.png").write_bytes(b"png")
    (store / "ana" / "linked").symlink_to(outside)  # a folder link out of the store
    (store / "ana" / "secret.txt").symlink_to(outside / "secret.txt")  # a file link out of the store
    assert client.get(_signed(app, "ana/mine.png")).content == b"png"  # the control: a key inside is served

    keys = {
        "../../etc/passwd": None,
        "ana/../../outside/secret.txt": None,
        str(outside / "secret.txt"): None,  # an absolute path
        "/etc/passwd": None,
        "../outside/secret.txt": "%2e%2e/outside/secret.txt",  # encoded dots, decoded by the server
        "ana/linked/secret.txt": None,
        "ana/secret.txt": None,
        "ana/\x00.png": None,
        "a" * 300: None,  # longer than a file name may be
        "ana": None,  # a folder
        ".": "%2e",  # the store's own folder
        "": "",
    }
    for key, encoded in keys.items():  # each arrives as the key signed: a valid link, so 404 (not 403) proves it
        response = client.get(_signed(app, key, encoded))
        assert response.status_code == 404, (key, response.status_code, response.text)
        assert "secret" not in response.text.replace(key, "") and "root:" not in response.text
        assert not any(path in response.text for path in _paths(api_settings, tmp_path)), response.text
    double = client.get(_signed(app, "%2e%2e/%2e%2e/etc/passwd", "%252e%252e/%252e%252e/etc/passwd"))
    assert double.status_code in (403, 404) and "root:" not in double.text  # decoded once or twice: never out
    wrong = _signed(app, "ana/mine.png").replace("signature=", "signature=0")[:-1]
    assert client.get(wrong).status_code == 403


def test_no_404_shows_a_server_path(
    app: FastAPI, client: TestClient, api_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = [
        client.get("/api/status/vid-nope000", headers=auth("ana")),
        client.get("/api/video/vid-nope000", headers=auth("ana")),
        client.post("/api/video/vid-nope000/beats/0/regenerate", json={}, headers=auth("ana")),
        client.get("/api/batch/bat-0123456789ab", headers=auth("ana")),
        client.get(_signed(app, "ana/assets/asset-0123456789abcdef.png")),
        client.get(_signed(app, "ana/videos/vid-x/final.mp4")),
        client.get("/api/nothing-here"),
    ]
    for response in missing:
        assert response.status_code == 404, response.text
        assert not any(path in response.text for path in _paths(api_settings, tmp_path)), response.text

    store = app.state.services.service.store
    with pytest.raises(NotFound) as raised:  # the store's own message names the key, not its folder
        store.local_path("ana/videos/vid-x/spec.json")
    assert str(api_settings.storage_dir) not in str(raised.value) and "vid-x/spec.json" in str(raised.value)

    def lost(*_: object) -> None:  # a NotFound whose message does hold a path still answers without it
        raise NotFound(f"no object at {api_settings.storage_dir.resolve()}/ana/videos/vid-x/spec.json")

    monkeypatch.setattr(app.state.services.service.db, "find", lost)
    response = client.get("/api/status/vid-x00", headers=auth("ana"))
    assert response.status_code == 404 and "spec.json" in response.text
    assert not any(path in response.text for path in _paths(api_settings, tmp_path)), response.text


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 6000),  # 48 MP: over vidgen's limit, under Pillow's warning (89 MP)
        (10_000, 10_000),  # 100 MP: Pillow's DecompressionBombWarning
        (20_000, 10_000),  # 200 MP: Pillow's DecompressionBombError
    ],
)
def test_decompression_bombs_are_413_naming_the_limit(
    client: TestClient, api_settings: Settings, width: int, height: int
) -> None:
    bomb = _bomb(width, height)
    assert len(bomb) < 100_000  # small on the wire, the trouble is the pixels
    response = client.post("/api/upload", files=[("files", ("bomb.png", bomb, "image/png"))], headers=auth("ana"))
    assert response.status_code == 413, response.text
    limit = api_settings.upload_max_pixels
    assert f"{limit / 1e6:g} MP" in response.json()["detail"] and f"{limit:,}" in response.json()["detail"]
    assert not (api_settings.storage_dir / "ana" / "assets").exists()


def test_the_pixel_limit_is_a_setting(api_settings: Settings, instance: dg.DagsterInstance) -> None:
    settings = api_settings.model_copy(update={"upload_max_pixels": 1_000_000})
    photo = io.BytesIO()
    Image.new("RGB", (1200, 1000), (90, 120, 200)).save(photo, format="PNG")
    with TestClient(create_app(settings, instance)) as client:
        files = [("files", ("photo.png", photo.getvalue(), "image/png"))]
        response = client.post("/api/upload", files=files, headers=auth("ana"))
    assert response.status_code == 413 and "the 1 MP limit (1,000,000 pixels)" in response.json()["detail"]


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "WEBP"])
def test_truncated_images_are_422(client: TestClient, api_settings: Settings, kind: str) -> None:
    whole = _noise((160, 120), kind)
    cut = whole[: len(whole) // 2]
    response = client.post("/api/upload", files=[("files", ("cut.img", cut, "image/png"))], headers=auth("ana"))
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "files"] and "truncated or corrupt" in error["msg"] and kind in error["msg"]
    assert not (api_settings.storage_dir / "ana" / "assets").exists()


@pytest.mark.parametrize(
    ("kind", "extension", "end"),
    [("PNG", "png", PNG_END), ("JPEG", "jpg", JPEG_END), ("WEBP", "webp", None)],
)
def test_polyglots_are_stored_as_the_image_alone(
    client: TestClient, api_settings: Settings, kind: str, extension: str, end: bytes | None
) -> None:
    image = _noise((96, 64), kind, **({"lossless": True} if kind == "WEBP" else {}))
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    polyglot = image + html + _zip()
    response = client.post("/api/upload", files=[("files", ("ad.png", polyglot, "image/png"))], headers=auth("ana"))
    assert response.status_code == 200, response.text
    (asset,) = response.json()["asset_ids"]
    stored = (api_settings.storage_dir / "ana" / "assets" / f"{asset}.{extension}").read_bytes()
    assert b"<script" not in stored and b"PK\x03\x04" not in stored and b"PK\x05\x06" not in stored
    if end:
        assert stored.endswith(end)  # nothing after the image's end
    else:  # WebP: the RIFF header's length is the whole file
        assert stored[:4] == b"RIFF" and struct.unpack("<I", stored[4:8])[0] + 8 == len(stored)
    with Image.open(io.BytesIO(stored)) as kept, Image.open(io.BytesIO(image)) as sent:
        kept.load()
        assert (kept.format, kept.size) == (kind, sent.size)
        diff = [abs(a - b) for a, b in zip(kept.convert("RGB").tobytes(), sent.convert("RGB").tobytes(), strict=True)]
        assert sum(diff) / len(diff) < (1 if kind != "JPEG" else 12)  # the same picture (JPEG: re-quantized)


def test_text_chunks_and_exif_are_dropped_and_orientation_kept(client: TestClient, api_settings: Settings) -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "<html><script>alert(1)</script></html>")
    png = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 200, 10)).save(png, "PNG", pnginfo=text)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to stand up
    exif[0x010E] = "<html>description</html>"
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 10, 10)).save(jpeg, "JPEG", exif=exif.tobytes())
    files = [("files", ("a.png", png.getvalue(), "image/png")), ("files", ("b.jpg", jpeg.getvalue(), "image/jpeg"))]
    response = client.post("/api/upload", files=files, headers=auth("ana"))
    assert response.status_code == 200, response.text
    first, second = response.json()["asset_ids"]
    assets = api_settings.storage_dir / "ana" / "assets"
    assert b"<html>" not in (assets / f"{first}.png").read_bytes()
    with Image.open(assets / f"{second}.jpg") as kept:
        assert kept.size == (20, 40) and not kept.getexif() and b"<html>" not in (assets / f"{second}.jpg").read_bytes()


def test_a_422_echoes_at_most_200_characters_of_any_input(client: TestClient) -> None:
    long = "x" * 100_000
    cases = [
        ("/api/generate", {"prompt": long}),
        ("/api/generate", {"prompt": "ad", "title": long, "description": long}),
        ("/api/generate", {"prompt": "ad", long: 1}),  # an unknown field with a long name
        ("/api/generate", {"prompt": "ad", "reference_assets": [long]}),
        ("/api/video/vid-abc/beats/0/regenerate", {"prompt": long}),
        ("/api/batch", {"rows": [{"prompt": long}]}),
        ("/api/batch", {"rows": [{"prompt": "ad", "title": long}, {"title": long}]}),  # the second has no prompt
        ("/api/batch", {"rows": [{"prompt": "ad", "aspect_ratio": long}]}),
    ]
    for path, body in cases:
        response = client.post(path, json=body, headers=auth("ana"))
        assert response.status_code == 422, (path, response.text[:300])
        errors = response.json()["detail"]
        assert errors and len(response.content) < 2_000 * len(errors), (path, len(response.content))
        for error in errors:
            assert len(json.dumps(error)) < 2_000
            assert all(len(str(part)) <= 200 for part in error["loc"])
            echoed = error.get("input")
            assert len(echoed if isinstance(echoed, str) else json.dumps(echoed, ensure_ascii=False)) <= 200
    prompt = client.post("/api/generate", json={"prompt": long}, headers=auth("ana")).json()["detail"][0]["input"]
    assert prompt.startswith("xxx") and prompt.endswith("… (100000 characters)") and len(prompt) == 200


def test_the_schema_declares_what_the_handlers_enforce(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assets = schema["GenerateIn"]["properties"]["reference_assets"]
    bare, with_role = assets["items"]["anyOf"]  # a bare id, or an id with its role
    assert bare["pattern"] == schema["ReferenceAssetIn"]["properties"]["asset_id"]["pattern"] == "^asset-[0-9a-f]{16}$"
    assert with_role["$ref"].endswith("/ReferenceAssetIn") and assets["maxItems"] == 2
    files = schema["Body_upload_api_upload_post"]["properties"]["files"]
    assert (files["minItems"], files["maxItems"]) == (1, 10)
    malformed = client.post("/api/generate", json={"prompt": "ad", "reference_assets": ["x"]}, headers=auth("ana"))
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["body", "reference_assets", 0, "asset_id"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e309"])
@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/api/generate", '{"prompt": "Nike ad", "duration": %s}', ["body", "duration"]),
        ("/api/generate", '{"prompt": "Nike ad", "max_cost_usd": %s}', ["body", "max_cost_usd"]),
        ("/api/batch", '{"rows": [{"prompt": "Nike ad", "duration": %s}]}', ["body", "rows", 0, "duration"]),
        ("/api/batch", '{"rows": [{"prompt": "Nike ad", "max_cost_usd": %s}]}', ["body", "rows", 0, "max_cost_usd"]),
        ("/api/batch", '{"rows": [{"prompt": "Nike ad"}], "max_cost_usd": %s}', ["body", "max_cost_usd"]),
    ],
)
def test_a_number_json_cannot_hold_is_a_422_naming_its_field(
    client: TestClient, api_settings: Settings, path: str, body: str, loc: list, value: str
) -> None:
    sent = client.post(path, content=body % value, headers={**auth("ana"), "Content-Type": "application/json"})
    assert sent.status_code == 422, sent.text
    assert [e["loc"] for e in sent.json()["detail"]] == [loc]
    assert RequestDB(api_settings.db_url).page("ana", 10)[1] == 0  # "no cap" was never stored


def test_a_body_over_the_limit_is_413_before_it_is_read(
    api_settings: Settings, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = []
    # a body that is read ends here
    monkeypatch.setattr("vidgen_dagster.service.use_cases.build_request", lambda *a, **k: read.append(a))
    small = Settings(home=api_settings.home, api_keys=api_settings.api_keys, max_body_bytes=10_000)
    with TestClient(create_app(small, instance)) as client:
        body = json.dumps({"prompt": "ad " * 10_000}).encode()  # 30 KB, within the prompt's own length check
        said = client.post("/api/generate", content=body, headers={**auth("ana"), "Content-Type": "application/json"})
        assert said.status_code == 413 and "over 10,000 bytes" in said.json()["detail"]
        streamed = client.post(  # no Content-Length (chunked): counted as it arrives
            "/api/generate",
            content=(body[i : i + 4096] for i in range(0, len(body), 4096)),
            headers={**auth("ana"), "Content-Type": "application/json"},
        )
        assert streamed.status_code == 413 and "over 10,000 bytes" in streamed.json()["detail"]
        image = _noise((1200, 900), "PNG")  # an upload has its own, larger limit
        assert len(image) > 10_000
        kept = client.post("/api/upload", files={"files": ("a.png", image, "image/png")}, headers=auth("ana"))
        assert kept.status_code == 200, kept.text
    assert read == []


def test_a_preview_link_opens_its_preview_and_nothing_else(
    app: FastAPI, client: TestClient, api_settings: Settings
) -> None:
    """The lasting links the Dagster UI draws previews from: signed per key, previews only, any store."""
    store, secret = app.state.services.service.store, signing_key(api_settings)
    preview = VideoKeys("ana", "v1").preview(Phase.STORYBOARD)
    store.put_bytes(preview, b"\xff\xd8jpeg")
    store.put_bytes("ana/videos/v1/final.mp4", b"mp4")

    def link(key: str, signature: str | None = None) -> str:
        return f"/api/previews/{quote(key)}?signature={signature or preview_signature(secret, key)}"

    shown = client.get(link(preview))
    assert (shown.status_code, shown.content, shown.headers["content-type"]) == (200, b"\xff\xd8jpeg", "image/jpeg")
    assert client.get(link(preview, "0" * 64)).status_code == 403  # another signature
    assert client.get(link("ana/videos/v1/final.mp4")).status_code == 403  # signed, but not a preview
    assert client.get(link("ana/videos/v1/previews/../final.mp4")).status_code == 403
    assert client.get(link(VideoKeys("ana", "v1").preview(Phase.MUSIC))).status_code == 404  # not made yet
