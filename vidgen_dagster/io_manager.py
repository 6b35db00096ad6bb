"""IO manager: each asset's manifest is stored as JSON under the video's keys (``spec.json``, ``manifests/``)."""

from __future__ import annotations

import dagster as dg
from pydantic import BaseModel

from vidgen_core.adapters.storage import VideoKeys
from vidgen_dagster.resources import VidgenResource


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores pydantic manifests in the blob store in the seed's key layout; media is written by the phases."""

    vidgen: VidgenResource

    def _key(self, context: dg.InputContext | dg.OutputContext) -> str:
        video_id = context.asset_partition_key
        request = self.vidgen.requests().request(video_id)
        keys = VideoKeys(user_id=request.user_id, video_id=video_id)
        name = context.asset_key.path[-1]
        return keys.spec() if name == "video_spec" else keys.manifest(name)

    def handle_output(self, context: dg.OutputContext, obj: BaseModel) -> None:
        key = self._key(context)
        self.vidgen.store().put_bytes(key, obj.model_dump_json(indent=2).encode())
        context.add_output_metadata({"manifest_key": key})

    def load_input(self, context: dg.InputContext) -> BaseModel:
        model = context.dagster_type.typing_type
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"input {context.name} must be annotated with a pydantic manifest type")
        return model.model_validate_json(self.vidgen.store().get_bytes(self._key(context)))
