"""One dynamic partition per video; the partition key is the video id."""

import dagster as dg

videos = dg.DynamicPartitionsDefinition(name="videos")
