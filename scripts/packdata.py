"""What the data build scripts share: a deterministic gzip-JSON pack and the command line.

The packs are committed, so rebuilding from the same source must give no git diff: compact JSON,
and a gzip header with no timestamp or file name.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def pack(doc: dict[str, Any]) -> bytes:
    payload = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(payload)
    return buf.getvalue()


def run(argv: list[str], build: Callable[[Path], bytes], default_src: Path, out: Path) -> int:
    src = Path(argv[0]) if argv else default_src
    data = build(src)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"wrote {out} ({len(data):,} bytes)")
    return 0
