"""Bounded zip reading (app/core/archive.py): bombs and lying archives are refused early."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest

from app.core.archive import ArchiveError, ArchiveTooLarge, MiB, SafeZip, ZipLimits


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def bomb(expanded_mib: int) -> bytes:
    """A zip whose export.xml is a valid XML prolog and root followed by `expanded_mib` MiB of
    spaces: a few hundred KB on disk, written chunk by chunk so the test never holds it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("apple_health_export/export.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">')
            chunk = b" " * MiB
            for _ in range(expanded_mib):
                f.write(chunk)
            f.write(b"</HealthData>\n")
    return buf.getvalue()


def test_ordinary_members_read_in_full():
    xml = b"<HealthData>" + b"<Record/>" * 50_000 + b"</HealthData>"
    archive = SafeZip(make_zip({"a/export.xml": xml, "a/other.csv": b"x,y\n"}))
    assert sorted(archive.names()) == ["a/export.xml", "a/other.csv"]
    with archive.open("a/export.xml") as f:
        assert f.read() == xml


def test_high_ratio_is_refused_before_decompressing():
    data = bomb(64)
    assert len(data) < 1 * MiB
    archive = SafeZip(data)
    start = time.process_time()
    with pytest.raises(ArchiveTooLarge, match="compressed more than 100 to 1"):
        archive.open("apple_health_export/export.xml")
    assert time.process_time() - start < 0.5


def test_size_limit_applies_whatever_the_ratio():
    payload = bytes(range(256)) * (4 * 4096)  # 4 MiB that barely compresses
    archive = SafeZip(make_zip({"x.bin": payload}), ZipLimits(max_member_bytes=1 * MiB))
    with pytest.raises(ArchiveTooLarge, match="more than 1 MB"):
        archive.open("x.bin")


def _patch_uncompressed_size(data: bytes, size: int) -> bytes:
    out = bytearray(data)
    local = out.find(b"PK\x03\x04")
    struct.pack_into("<I", out, local + 22, size)
    central = out.find(b"PK\x01\x02")
    struct.pack_into("<I", out, central + 24, size)
    return bytes(out)


def test_member_lying_about_its_size_is_cut_off():
    """The directory claims 1 KB; the data holds 2 MiB. Reading stops at the claim and the
    member is refused as damaged, not expanded."""
    honest = make_zip({"export.xml": b"<a>" + b" " * (2 * MiB) + b"</a>"})
    lying = _patch_uncompressed_size(honest, 1000)
    archive = SafeZip(lying)
    with pytest.raises(ArchiveError), archive.open("export.xml") as f:
        total = 0
        while chunk := f.read(64 * 1024):
            total += len(chunk)
            assert total <= 1 * MiB


def test_counting_stops_a_stream_at_its_allowance():
    """Defence in depth below zipfile's own check: the reader counts what it produced."""
    from app.core.archive import _BoundedReader

    reader = _BoundedReader(io.BytesIO(b"x" * 5000), 4096, "member")
    assert len(reader.read(4096)) == 4096
    with pytest.raises(ArchiveTooLarge):
        reader.read(4096)


def test_too_many_entries_are_refused_before_parsing_them():
    data = make_zip({f"f{i}.txt": b"" for i in range(50)}, zipfile.ZIP_STORED)
    with pytest.raises(ArchiveTooLarge, match="more than 10 entries"):
        SafeZip(data, ZipLimits(max_entries=10))


@pytest.mark.parametrize("data", [b"PK\x03\x04garbage", b"PK\x05\x06" + b"\0" * 10])
def test_garbage_is_an_archive_error(data):
    with pytest.raises(ArchiveError):
        SafeZip(data)
