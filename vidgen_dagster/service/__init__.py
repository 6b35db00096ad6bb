"""vidgen's use cases, once for the CLI and the API (``use_cases``), and what they take and give (``models``). The
API reaches vidgen_dagster only through this package's names."""

from vidgen_dagster.service.models import BadRows, BatchDraft, Draft, Via, VideoDetails, VideoStatus
from vidgen_dagster.service.use_cases import VidgenService

__all__ = ["BadRows", "BatchDraft", "Draft", "Via", "VideoDetails", "VideoStatus", "VidgenService"]
