"""`nexfitra import FILE --provider P`: uploads a tracker export with a progress bar, then shows
what the server imported (or its JSON)."""

from __future__ import annotations

import json

from tests.activities.test_activities_api import EXPORT
from tests.cli.test_client_commands import cli  # noqa: F401  (the fixture)


async def test_import_shows_the_upload_bar_and_the_counts(cli, tmp_path):  # noqa: F811
    # Padding after the document makes the upload span several of httpx's 64 KiB reads.
    data = EXPORT.encode() + b"\n" + b" " * 200_000 + b"\n"
    export = tmp_path / "export.xml"
    export.write_bytes(data)
    code, out, err = await cli("weight", "add", "70", "--date", "2024-01-01")
    assert code == 0, err

    code, out, err = await cli("import", str(export), "--provider", "apple_health")
    assert code == 0, err
    # The bar, finished, on stderr: its label, 100% and the size sent out of the file's.
    assert "Uploading export.xml" in err and "100%" in err, err
    kb = f"{len(data) / 1000:.1f}"
    assert f"{kb}/{kb} kB" in err, err
    # The server's counts as a table on stdout: 4 rows in the file, 4 new.
    assert "Imported from export.xml (apple_health)" in out
    row = next(line for line in out.splitlines() if line.count("│") >= 5 and "4" in line)
    assert [c.strip() for c in row.split("│")[1:-1]] == ["4", "4", "0", "0"], out

    # Again, as JSON: nothing new, every row seen before and unchanged; no bar for scripts.
    code, out, err = await cli("import", str(export), "--provider", "apple_health", "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "provider": "apple_health",
        "total": 4,
        "imported": 0,
        "updated": 0,
        "skipped": 4,
    }
    assert "Uploading" not in err


async def test_import_refuses_an_unknown_provider_and_shows_server_errors(cli, tmp_path):  # noqa: F811
    export = tmp_path / "export.xml"
    export.write_text("<HealthData>")
    code, _, err = await cli("import", str(export), "--provider", "polar")
    assert code == 1 and "unknown provider 'polar'" in err and "garmin_fit" in err
    # A file the importer cannot read: the problem's detail, not a traceback.
    code, _, err = await cli("import", str(export), "--provider", "apple_health")
    assert code == 1 and "HTTP 422" in err, err
