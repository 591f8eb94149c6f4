"""The search questions every engine must answer alike: the shared vectors (search_vectors.json:
query, filters -> expected ids), run on SQL, the in-memory index and the phone's offline
search, and more questions the engines are compared on without an expected answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "search_vectors.json").read_text("utf-8"))

# More (query, parameters) pairs on which the in-memory index must answer exactly as SQL.
ORACLE_EXTRAS = [
    ("", {"per_page": "100"}), ("", {"page": "2", "per_page": "7"}),
    ("shelter", {"page": "2", "per_page": "3"}), ("", {"near": "Fresno", "radius": "400"}),
    ("legal", {"near": "34.05,-118.24", "per_page": "50"}),
    ("", {"category": "medical", "open_now": "1"}), ("help", {"free": "1", "language": "es"}),
    ("", {"modified_after": "2026-01-01"}), ("zzzzqqq", {}),
]
