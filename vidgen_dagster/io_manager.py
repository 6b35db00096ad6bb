"""IO manager: each asset's manifest is kept as JSON where the phase registry says (``spec.json``, ``manifests/``)."""

from __future__ import annotations

import dagster as dg
from pydantic import BaseModel

from vidgen_core.adapters.storage import VideoKeys
from vidgen_core.domain.models import Phase
from vidgen_core.pipeline.registry import PHASES, PhaseEntry
from vidgen_dagster.resources import VidgenResource


class ManifestIOManager(dg.ConfigurableIOManager):
    """Stores pydantic manifests in the blob store in the seed's key layout; media is written by the phases."""

    vidgen: VidgenResource

    def _key(self, context: dg.InputContext | dg.OutputContext) -> tuple[PhaseEntry, str]:
        video_id = context.asset_partition_key
        request = self.vidgen.requests().request(video_id)
        entry = PHASES[Phase(context.asset_key.path[-1])]
        return entry, entry.key(VideoKeys(user_id=request.user_id, video_id=video_id))

    def handle_output(self, context: dg.OutputContext, obj: BaseModel) -> None:
        _, key = self._key(context)
        self.vidgen.store().put_bytes(key, obj.model_dump_json(indent=2).encode())
        context.add_output_metadata({"manifest_key": key})

    def load_input(self, context: dg.InputContext) -> BaseModel:
        entry, key = self._key(context)
        return entry.manifest.model_validate_json(self.vidgen.store().get_bytes(key))
