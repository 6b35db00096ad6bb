"""IO manager: each asset's manifest is stored as JSON under the video's keys (``spec.json``, ``manifests/``).

It needs only the store: the spec names the video's owner, and is stored with a small index (``owner_key``) from
which every later key of the video is found by its id alone.
"""

from __future__ import annotations

import dagster as dg
from pydantic import BaseModel, PrivateAttr

from vidgen_core.adapters.storage import VideoKeys, owner_key
from vidgen_core.domain.models import VideoSpec
from vidgen_dagster.resources import StoreResource


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores pydantic manifests in the blob store in the seed's key layout; media is written by the phases."""

    store: StoreResource
    _owners: dict[str, str] = PrivateAttr(default_factory=dict)  # read once per video, not per input

    def _key(self, context: dg.InputContext | dg.OutputContext, owner: str | None = None) -> str:
        video_id = context.asset_partition_key
        if owner:
            self._owners[video_id] = owner
        elif video_id not in self._owners:
            self._owners[video_id] = self.store.open().get_bytes(owner_key(video_id)).decode()
        keys = VideoKeys(user_id=self._owners[video_id], video_id=video_id)
        name = context.asset_key.path[-1]
        return keys.spec() if name == "video_spec" else keys.manifest(name)

    def handle_output(self, context: dg.OutputContext, obj: BaseModel) -> None:
        store, owner = self.store.open(), obj.user_id if isinstance(obj, VideoSpec) else None
        if owner:  # the video's first manifest: its owner is kept for the keys of the rest
            store.put_bytes(owner_key(context.asset_partition_key), owner.encode())
        key = self._key(context, owner)
        store.put_bytes(key, obj.model_dump_json(indent=2).encode())
        context.add_output_metadata({"manifest_key": key})

    def load_input(self, context: dg.InputContext) -> BaseModel:
        model = context.dagster_type.typing_type
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"input {context.name} must be annotated with a pydantic manifest type")
        return model.model_validate_json(self.store.open().get_bytes(self._key(context)))
