"""Uploaded images with their roles: a product photo and a logo per video, named by role (or a bare id, a product
photo), echoed with their roles, refused when two share a role or when they are not the caller's uploads."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from tests.support import auth


def _upload(client: TestClient, user: str = "ana", count: int = 2) -> list[str]:
    files = []
    for n in range(count):
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 30 * n, 30)).save(out, "PNG")
        files.append(("files", (f"image{n}.png", out.getvalue(), "image/png")))
    response = client.post("/api/upload", files=files, headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()["asset_ids"]


def _generate(client: TestClient, assets: list, user: str = "ana"):
    body = {"prompt": "Create a 6-second Nike ad", "reference_assets": assets}
    return client.post("/api/generate", json=body, headers=auth(user))


def test_a_product_photo_and_a_logo_are_kept_with_their_roles(client: TestClient) -> None:
    product, logo = _upload(client)
    made = _generate(client, [product, {"asset_id": logo, "role": "logo"}])
    assert made.status_code == 200, made.text
    shown = client.get(f"/api/video/{made.json()['video_id']}", headers=auth("ana")).json()
    assert shown["reference_assets"] == [{"asset_id": product, "role": "product"}, {"asset_id": logo, "role": "logo"}]


def test_two_of_a_role_or_an_unknown_role_is_a_422_naming_the_field(client: TestClient) -> None:
    first, second = _upload(client)
    for assets, words in (
        ([{"asset_id": first, "role": "logo"}, {"asset_id": second, "role": "logo"}], "more than one logo"),
        ([first, {"asset_id": second, "role": "product"}], "more than one product"),  # a bare id is a product photo
        ([{"asset_id": first, "role": "mascot"}], "'product' or 'logo'"),
        ([first, second, {"asset_id": first, "role": "logo"}], "at most 2 items"),
    ):
        response = _generate(client, assets)
        assert response.status_code == 422, (assets, response.text)
        error = response.json()["detail"][0]
        assert error["loc"][:2] == ["body", "reference_assets"] and words in error["msg"], error


def test_ids_that_are_not_the_callers_uploads_are_refused(client: TestClient) -> None:
    (mine,) = _upload(client, count=1)
    theirs = _generate(client, [{"asset_id": mine, "role": "logo"}], user="ben")
    assert theirs.status_code == 422 and "POST /api/upload" in theirs.json()["detail"][0]["msg"]
    unknown = _generate(client, [{"asset_id": "asset-0123456789abcdef", "role": "product"}])
    assert unknown.status_code == 422 and "asset-0123456789abcdef" in unknown.json()["detail"][0]["msg"]


def test_the_schema_shows_roles_with_an_example(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assets = schemas["GenerateIn"]["properties"]["reference_assets"]
    assert assets["maxItems"] == 2
    assert schemas["ReferenceAssetIn"]["properties"]["role"]["$ref"].endswith("/AssetRole")
    assert set(schemas["AssetRole"]["enum"]) == {"product", "logo"}
    examples = schemas["GenerateIn"]["examples"]
    assert any(a.get("role") == "logo" for e in examples for a in e.get("reference_assets", []))
