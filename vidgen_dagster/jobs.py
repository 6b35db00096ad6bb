"""Jobs: the whole graph for one video partition."""

import dagster as dg

generate_video = dg.define_asset_job(
    "generate_video",
    selection=dg.AssetSelection.assets("final_video").upstream().materializable(),
    description="Materialize every asset of one video partition, from spec to final mp4.",
)
