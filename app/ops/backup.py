"""`nexfitra backup PATH` and `nexfitra restore PATH`.

PostgreSQL: `pg_dump` in its custom format (compressed, restorable table by table). A restore
replaces the whole `public` schema in ONE transaction: `pg_restore` turns the archive into SQL
that is piped to `psql --single-transaction` after a `DROP SCHEMA public CASCADE`, so a failure
half-way leaves the database exactly as it was.

SQLite: the online backup API copies the live database page by page while the API keeps
serving; a restore copies the backup into the live file the same way, holding the write lock
until it is complete.

Both check the backup before touching the database and show a progress bar (rich).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, quote, urlencode

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import URL, make_url

from app.core.config import Settings

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"
_PAGES_PER_STEP = 1024


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    path: Path
    backend: str
    units: int  # tables (PostgreSQL) or pages (SQLite) copied


@contextmanager
def _progress(label: str, show: bool) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not show,
        transient=False,
    )
    with progress:
        yield progress


# --- PostgreSQL -------------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (it goes in PGPASSWORD, not on a command line other
    users can read in `ps`) and the environment for the client programs."""
    query = {}
    for key, value in parse_qsl(url.render_as_string(hide_password=False).partition("?")[2]):
        # asyncpg's `ssl=require` is libpq's `sslmode=require`.
        query["sslmode" if key == "ssl" else key] = value
    user = quote(url.username or "", safe="")
    host = url.host or "localhost"
    netloc = f"{user}@{host}" if user else host
    if url.port:
        netloc += f":{url.port}"
    dsn = f"postgresql://{netloc}/{quote(url.database or '', safe='')}"
    if query:
        dsn += "?" + urlencode(query)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return dsn, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found; install the PostgreSQL client programs "
            "(Debian/Ubuntu: apt-get install postgresql-client)"
        )
    return path


def _pg_tables(path: Path) -> list[str]:
    """The tables whose data the archive holds (also proves it is a readable archive)."""
    listing = subprocess.run(  # noqa: S603  (fixed program, arguments as a list)
        [_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"not a pg_dump archive: {listing.stderr.strip()}")
    return re.findall(r"TABLE DATA \S+ (\S+) ", listing.stdout)


def _pg_backup(url: URL, path: Path, show: bool) -> int:
    dsn, env = _libpq(url)
    tmp = path.with_name(path.name + ".partial")
    cmd = [_tool("pg_dump"), "--format=custom", "--verbose", "--no-owner", f"--file={tmp}", dsn]
    with _progress("backup", show) as progress:
        task = progress.add_task("backup", total=None, detail="")
        proc = subprocess.Popen(  # noqa: S603
            cmd, env=env, stderr=subprocess.PIPE, text=True
        )
        assert proc.stderr is not None
        errors, tables = [], 0
        for line in proc.stderr:
            match = re.search(r'dumping contents of table "([^"]+)"', line)
            if match:
                tables += 1
                progress.update(task, advance=1, detail=match.group(1))
            elif "error" in line.lower():
                errors.append(line.strip())
        if proc.wait() != 0:
            tmp.unlink(missing_ok=True)
            raise BackupError("pg_dump failed: " + " | ".join(errors or ["see its output"]))
        progress.update(task, total=tables, completed=tables, detail="done")
    tmp.replace(path)
    return tables


def _copy_sql(source: IO[str], sink: IO[str], progress: Progress, task: object) -> None:
    sink.write("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
    for line in source:
        if line.startswith("COPY "):
            progress.update(task, advance=1, detail=line.split(" ", 2)[1])  # type: ignore[arg-type]
        sink.write(line)


def _pg_restore(url: URL, path: Path, show: bool) -> int:
    tables = _pg_tables(path)
    dsn, env = _libpq(url)
    with _progress("restore", show) as progress:
        task = progress.add_task("restore", total=len(tables), detail="")
        dump = subprocess.Popen(  # noqa: S603
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        load = subprocess.Popen(  # noqa: S603
            [
                _tool("psql"),
                "--single-transaction",
                "--quiet",
                "--no-psqlrc",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={dsn}",
            ],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert dump.stdout is not None and load.stdin is not None
        try:
            _copy_sql(dump.stdout, load.stdin, progress, task)
        except BrokenPipeError:
            pass  # psql stopped at an error; its exit status tells
        finally:
            load.stdin.close()
        dump_err = dump.stderr.read() if dump.stderr else ""
        load_err = load.stderr.read() if load.stderr else ""
        if dump.wait() != 0 or load.wait() != 0:
            raise BackupError(
                "restore failed, the database was left as it was: "
                + (load_err.strip() or dump_err.strip())
            )
        progress.update(task, completed=len(tables), detail="done")
    return len(tables)


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _sqlite_copy(src: sqlite3.Connection, dst: sqlite3.Connection, label: str, show: bool) -> int:
    with _progress(label, show) as progress:
        task = progress.add_task(label, total=None, detail="pages")

        def step(_status: int, remaining: int, total: int) -> None:
            progress.update(task, total=total, completed=total - remaining)

        src.backup(dst, pages=_PAGES_PER_STEP, progress=step)
        pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        progress.update(task, total=pages, completed=pages, detail="pages, done")
    return pages


def _check_sqlite_backup(path: Path) -> None:
    with path.open("rb") as f:
        if f.read(16) != _SQLITE_MAGIC:
            raise BackupError(f"{path} is not an SQLite database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is damaged (integrity check failed)")
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"alembic_version", "users"} <= names:
            raise BackupError(f"{path} is not a NexFitra database")
    finally:
        conn.close()


def _sqlite_backup(url: URL, path: Path, show: bool) -> int:
    source = _sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(tmp)
    try:
        pages = _sqlite_copy(src, dst, "backup", show)
        # A self-contained file: no -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        src.close()
        dst.close()
    tmp.replace(path)
    return pages


def _sqlite_restore(url: URL, path: Path, show: bool) -> int:
    _check_sqlite_backup(path)
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        pages = _sqlite_copy(src, dst, "restore", show)
        # The API's connections expect WAL (they set it too; this keeps the file consistent).
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        src.close()
        dst.close()
    return pages


# --- entry points -----------------------------------------------------------------------------


def backup(settings: Settings, path: Path, show: bool = True) -> Outcome:
    url = make_url(settings.database_url)
    path = path.expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        return Outcome(path, "sqlite", _sqlite_backup(url, path, show))
    return Outcome(path, "postgresql", _pg_backup(url, path, show))


def restore(settings: Settings, path: Path, show: bool = True) -> Outcome:
    url = make_url(settings.database_url)
    path = path.expanduser().resolve()
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    with path.open("rb") as f:
        magic = f.read(16)
    if url.get_backend_name() == "sqlite":
        if not magic.startswith(_SQLITE_MAGIC):
            raise BackupError(f"{path} is not an SQLite backup (the database is SQLite)")
        return Outcome(path, "sqlite", _sqlite_restore(url, path, show))
    if not magic.startswith(_PG_MAGIC):
        raise BackupError(f"{path} is not a pg_dump archive (the database is PostgreSQL)")
    return Outcome(path, "postgresql", _pg_restore(url, path, show))


def forget_cache(settings: Settings) -> int:
    """Drops the API's cached reads after a restore (they describe the replaced data)."""
    if not settings.redis_url:
        return 0  # the in-process cache dies with the API process
    from redis import Redis

    client = Redis.from_url(settings.redis_url)
    try:
        keys = list(client.scan_iter(match="nf:c:*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
        return len(keys)
    finally:
        client.close()
