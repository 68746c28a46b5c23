"""Reading zip archives that users upload, with bounded work (Apple Health today; Fitbit and
Google Takeout exports are zips too).

A zip states each member's sizes, but a hostile one can claim anything, and a tiny one can
expand enormously (a 1.27 MB zip to 328 MB of XML cost 69 s of CPU). So before anything is
decompressed the archive is refused when it holds too many entries or when a member's stated
size or compression ratio is beyond the limits, and while a member is read the bytes actually
produced are counted against the same limits, so a member that lies about its size is stopped
at the limit too. Members are streamed, never held whole in memory.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

MiB = 1024 * 1024


class ArchiveError(ValueError):
    """Not a readable archive; the message is safe to show to the uploader."""


class ArchiveTooLarge(ArchiveError):
    """The archive expands beyond the limits (answer 413)."""


@dataclass(frozen=True)
class ZipLimits:
    # Real exports compress XML about 10 to 30 times; 100 leaves room and still stops bombs.
    max_ratio: float = 100.0
    # Output below this is never refused for its ratio (tiny members compress oddly).
    ratio_floor_bytes: int = 1 * MiB
    max_member_bytes: int = 1024 * MiB
    max_entries: int = 100_000


_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"


def _declared_entries(data: bytes) -> int:
    """The entry count from the end-of-central-directory record, read before zipfile parses
    the whole directory (which costs time per entry)."""
    at = data.rfind(_EOCD, max(0, len(data) - 22 - 65_535))
    if at < 0 or at + 22 > len(data):
        raise ArchiveError("not a readable zip file")
    (entries,) = struct.unpack_from("<H", data, at + 10)
    if entries == 0xFFFF:  # zip64: the count is in the zip64 record the locator points at
        loc = at - 20
        if loc < 0 or data[loc : loc + 4] != _EOCD64_LOCATOR:
            raise ArchiveError("not a readable zip file")
        (offset,) = struct.unpack_from("<Q", data, loc + 8)
        if offset + 56 > len(data) or data[offset : offset + 4] != b"PK\x06\x06":
            raise ArchiveError("not a readable zip file")
        (entries,) = struct.unpack_from("<Q", data, offset + 32)
    return int(entries)


class _BoundedReader(io.RawIOBase):
    """A member's decompressed stream that stops with ArchiveTooLarge at its allowance."""

    def __init__(self, inner: IO[bytes], allowance: int, what: str) -> None:
        self.inner, self.allowance, self.what, self.produced = inner, allowance, what, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 64 * 1024  # never "everything": that is what a bomb wants
        try:
            chunk = self.inner.read(min(size, self.allowance - self.produced + 1))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise ArchiveError(f"{self.what} is damaged") from exc
        self.produced += len(chunk)
        if self.produced > self.allowance:
            raise ArchiveTooLarge(f"{self.what} expands beyond the allowed size")
        return chunk

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self.inner.close()
        super().close()


class SafeZip:
    """A zip archive in memory, opened with `limits` enforced."""

    def __init__(self, data: bytes, limits: ZipLimits | None = None) -> None:
        self.limits = limits or ZipLimits()
        if _declared_entries(data) > self.limits.max_entries:
            raise ArchiveTooLarge(f"the zip file holds more than {self.limits.max_entries} entries")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
            raise ArchiveError("not a readable zip file") from exc
        if len(self.zip.infolist()) > self.limits.max_entries:
            raise ArchiveTooLarge(f"the zip file holds more than {self.limits.max_entries} entries")

    def names(self) -> list[str]:
        return [i.filename for i in self.zip.infolist() if not i.is_dir()]

    def _allowance(self, info: zipfile.ZipInfo) -> int:
        lim = self.limits
        by_ratio = max(int(lim.max_ratio * info.compress_size), lim.ratio_floor_bytes)
        return min(lim.max_member_bytes, by_ratio)

    def open(self, name: str) -> IO[bytes]:
        """The member's decompressed bytes as a stream, refused up front when its stated size
        is beyond the limits and cut off when it produces more than they allow."""
        info = self.zip.getinfo(name)
        allowance = self._allowance(info)
        what = f"{name.rsplit('/', 1)[-1]} in the zip file"
        if info.file_size > allowance:
            if info.file_size > self.limits.max_member_bytes:
                limit_mb = self.limits.max_member_bytes // MiB
                raise ArchiveTooLarge(f"{what} expands to more than {limit_mb} MB")
            raise ArchiveTooLarge(
                f"{what} is compressed more than {self.limits.max_ratio:g} to 1 "
                "(a zip bomb, or not an export)"
            )
        try:
            inner = self.zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            raise ArchiveError(f"{what} cannot be read") from exc
        return io.BufferedReader(_BoundedReader(inner, allowance, what), 64 * 1024)
