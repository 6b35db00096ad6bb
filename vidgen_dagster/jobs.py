"""Jobs: the whole graph for one video partition."""

import dagster as dg

from vidgen_core.domain.models import Phase

generate_video = dg.define_asset_job(
    "generate_video",
    selection=dg.AssetSelection.assets(Phase.FINAL_VIDEO.value, Phase.ASPECTS.value).upstream().materializable(),
    description="Materialize every asset of one video partition, from spec to final mp4 and its other aspects.",
)
