"""vidgen's use cases, once for the CLI and the API (``use_cases``), and what they take and give (``models``)."""
