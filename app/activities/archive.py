"""Reading the members of an uploaded zip without trusting it.

Small and self-contained on purpose (a shared bounded-zip helper is being written for
app/core/archive.py on another branch; this one can be replaced by it at merge). Limits are
checked against the sizes the archive declares *and* against the bytes actually inflated, so a
zip that lies about its sizes stops at the limit too; a member whose compression ratio is
beyond any real data is refused as a bomb before it is inflated.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass


class ArchiveTooLarge(ValueError):
    """The archive inflates past a limit (a zip bomb or just too much): answered with 413."""


class ArchiveInvalid(ValueError):
    """Not a readable zip."""


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 20_000  # members looked at (matching or not)
    max_member_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 500 * 1024 * 1024
    # Real JSON/CSV compresses ~10-30x; a deflate bomb reaches ~1000x.
    max_ratio: float = 200.0


_READ = 256 * 1024


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def zip_members(
    data: bytes,
    want: Callable[[str], bool],
    limits: ZipLimits = ZipLimits(),
) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each member whose name `want` accepts, inflated within `limits`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ArchiveInvalid(f"not a readable zip file: {exc}") from exc
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveTooLarge(f"the zip has {len(infos)} members; at most {limits.max_members}")
    total = 0
    with archive:
        for info in infos:
            if info.is_dir() or not want(info.filename):
                continue
            if info.flag_bits & 0x1:
                raise ArchiveInvalid(f"{info.filename} is encrypted")
            declared = info.file_size
            if declared > limits.max_member_bytes:
                raise ArchiveTooLarge(f"{info.filename} inflates to {declared:,} bytes")
            if info.compress_size and declared / info.compress_size > limits.max_ratio:
                raise ArchiveTooLarge(
                    f"{info.filename} inflates {declared / info.compress_size:,.0f}-fold "
                    "(a zip bomb?)"
                )
            chunks, size = [], 0
            try:
                with archive.open(info) as member:
                    while chunk := member.read(_READ):
                        size += len(chunk)
                        total += len(chunk)
                        if size > limits.max_member_bytes or size > max(declared, 1) * 1.01 + 1024:
                            raise ArchiveTooLarge(f"{info.filename} inflates past its limit")
                        if total > limits.max_total_bytes:
                            raise ArchiveTooLarge(
                                f"the zip inflates to more than {limits.max_total_bytes:,} bytes"
                            )
                        chunks.append(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
                raise ArchiveInvalid(f"{info.filename} cannot be read: {exc}") from exc
            yield info.filename, b"".join(chunks)
