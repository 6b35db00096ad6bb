"""IO manager: each asset's manifest is kept as JSON where the phase registry says (``spec.json``, ``manifests/``).

It needs only the store: the spec names the video's owner, and is stored with a small index (``owner_key``) from
which every later key of the video is found by its id alone.
"""

from __future__ import annotations

import dagster as dg
from pydantic import BaseModel, PrivateAttr

from vidgen_core.adapters.storage import VideoKeys, owner_key
from vidgen_core.domain.models import Phase, VideoSpec
from vidgen_core.pipeline.registry import PHASES, PhaseEntry
from vidgen_dagster.resources import StoreResource


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores pydantic manifests in the blob store in the seed's key layout; media is written by the phases."""

    store: StoreResource
    _owners: dict[str, str] = PrivateAttr(default_factory=dict)  # read once per video, not per input

    def _key(self, context: dg.InputContext | dg.OutputContext, owner: str | None = None) -> tuple[PhaseEntry, str]:
        video_id = context.asset_partition_key
        if owner:
            self._owners[video_id] = owner
        elif video_id not in self._owners:
            self._owners[video_id] = self.store.open().get_bytes(owner_key(video_id)).decode()
        entry = PHASES[Phase(context.asset_key.path[-1])]
        return entry, entry.key(VideoKeys(user_id=self._owners[video_id], video_id=video_id))

    def handle_output(self, context: dg.OutputContext, obj: BaseModel) -> None:
        store, owner = self.store.open(), obj.user_id if isinstance(obj, VideoSpec) else None
        if owner:  # the video's first manifest: its owner is kept for the keys of the rest
            store.put_bytes(owner_key(context.asset_partition_key), owner.encode())
        _, key = self._key(context, owner)
        store.put_bytes(key, obj.model_dump_json(indent=2).encode())
        context.add_output_metadata({"manifest_key": key})

    def load_input(self, context: dg.InputContext) -> BaseModel:
        entry, key = self._key(context)
        return entry.manifest.model_validate_json(self.store.open().get_bytes(key))
