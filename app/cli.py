"""The `nexfitra` command: serve, migrate, foods, parse, worker, admin, backup, restore, and
the API client's commands (login, log, goals, summary, compare, weight, chart, export) from
app/cli_client."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[1]


def alembic_config(database_url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


def migrate(revision: str = "head", database_url: str | None = None, down: bool = False) -> None:
    from alembic import command

    cfg = alembic_config(database_url)
    if down:
        command.downgrade(cfg, revision)
    else:
        command.upgrade(cfg, revision)


_REVISION = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def migration_heads() -> set[str] | None:
    """The newest revisions of migrations/versions, read from the files' text (without Alembic,
    whose import and loading of every script cost half a second); None if a file is not in the
    plain `revision = "..."` / `down_revision = "..." | None` form."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        found = {m.group(1): m.group(2) for m in _REVISION.finditer(path.read_text())}
        rev, down = found.get("revision", ""), found.get("down_revision", "")
        if not re.fullmatch(r'"[^"]+"', rev) or not re.fullmatch(r'None|"[^"]+"', down):
            return None
        revisions.add(rev.strip('"'))
        if down != "None":
            parents.add(down.strip('"'))
    return revisions - parents or None


def sqlite_at_head(database_url: str) -> bool:
    """Whether a SQLite database already records every newest migration, so `serve --migrate`
    can skip Alembic. Any doubt (another backend, no file, no table, an odd script) is False,
    and Alembic decides as before."""
    import sqlite3

    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    path = url.database
    if not url.drivername.startswith("sqlite") or not path or path == ":memory:":
        return False
    if not Path(path).is_file():
        return False
    heads = migration_heads()
    if heads is None:
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            recorded = {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.Error:
        return False
    return recorded == heads


def prepare_metrics_dir(workers: int) -> str | None:
    """Multiprocess metrics for several workers: PROMETHEUS_MULTIPROC_DIR must name an empty
    directory before any worker starts (files left by an earlier run would be summed in)."""
    import shutil
    import tempfile

    env = "PROMETHEUS_MULTIPROC_DIR"
    path = os.environ.get(env)
    if workers <= 1 and not path:
        return None
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for stale in Path(path).glob("*.db"):
            stale.unlink()
    else:
        path = tempfile.mkdtemp(prefix="nexfitra-metrics-")
        import atexit

        atexit.register(shutil.rmtree, path, True)
    os.environ[env] = path
    return path


def _serve(args: argparse.Namespace) -> int:
    import gc

    # No cyclic collections while start-up imports build tens of thousands of long-lived
    # objects (modules, models, routes): a fifth of the import CPU went to collections that
    # found nothing to free. The app's lifespan turns the collector back on (app/main.py).
    gc.disable()
    import uvicorn

    from app.core import logconfig
    from app.core.config import get_settings

    settings = get_settings()
    log_config = logconfig.configure(settings.log_format, settings.environment, settings.log_level)
    if args.migrate and not sqlite_at_head(settings.database_url):
        migrate()
    prepare_metrics_dir(args.workers)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level=settings.log_level,
        log_config=log_config,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        access_log=args.access_log,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    migrate(args.revision, down=args.down)
    return 0


def _foods(args: argparse.Namespace) -> int:
    from app.foods.loader import load_foods_cli

    return asyncio.run(load_foods_cli())


def _import_off(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.foods.off_import import import_off_cli

    file = Path(args.file)
    if not file.is_file():
        print(f"no such file: {args.file}")
        return 2
    if args.limit < 1:
        print("--limit must be at least 1")
        return 2
    return asyncio.run(import_off_cli(file, args.limit))


def _worker(args: argparse.Namespace) -> int:
    from app.core import logconfig
    from app.core.config import get_settings
    from app.pipeline.worker import run_worker

    settings = get_settings()
    logconfig.configure(settings.log_format, settings.environment, settings.log_level)
    return asyncio.run(
        run_worker(settings, schedule=not args.no_scheduler, concurrency=args.concurrency)
    )


def _admin(args: argparse.Namespace) -> int:
    from app.admin.cli import set_role
    from app.core.config import get_settings

    return asyncio.run(set_role(get_settings(), args.identifier, args.admin_cmd == "grant"))


def _backup(args: argparse.Namespace) -> int:
    from app.core.config import get_settings
    from app.ops.backup import BackupError, backup

    try:
        out = backup(get_settings(), Path(args.path), show=not args.quiet)
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backup of the {out.backend} database written to {out.path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from app.core.config import get_settings
    from app.ops.backup import BackupError, forget_cache, restore

    settings = get_settings()
    if not args.yes:
        if not sys.stdin.isatty():
            print("restore replaces every row of the database; pass --yes", file=sys.stderr)
            return 2
        answer = input("Restore replaces every row of the database. Type 'restore' to go on: ")
        if answer.strip() != "restore":
            return 2
    try:
        out = restore(settings, Path(args.path), show=not args.quiet)
    except BackupError as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    dropped = forget_cache(settings)
    print(f"{out.backend} database restored from {out.path} ({dropped} cached reads dropped)")
    print("next: `nexfitra migrate` (if the backup predates the code), then restart the API")
    return 0


def _parse(args: argparse.Namespace, rest: list[str]) -> int:
    from app.foods.cli_parse import run

    return run(rest)


CLIENT_COMMANDS = {
    "login": "sign in to a running API (`--api URL`, default http://127.0.0.1:8000)",
    "logout": "forget the stored tokens",
    "log": "food log: add, list, rm",
    "goals": "daily goals: show, set",
    "summary": "a day's or (--week) a week's totals",
    "compare": "each nutrient against its goal",
    "weight": "body weight: add, list",
    "chart": "terminal charts: kcal, macros, weight",
    "export": "food log to CSV or JSON",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="nexfitra", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("serve", help="run the API with uvicorn")
    p.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))  # noqa: S104
    p.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    p.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    p.add_argument("--migrate", action="store_true", help="apply migrations first")
    p.add_argument("--access-log", action="store_true")
    p.set_defaults(func=_serve)

    p = sub.add_parser("migrate", help="apply database migrations (alembic upgrade)")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument("--down", action="store_true", help="downgrade to REVISION instead")
    p.set_defaults(func=_migrate)

    p = sub.add_parser("foods", help="food database commands")
    fsub = p.add_subparsers(dest="foods_cmd", required=True)
    fl = fsub.add_parser("load", help="load the packaged USDA SR28 and FNDDS foods (idempotent)")
    fl.set_defaults(func=_foods)
    fi = fsub.add_parser(
        "import-off",
        help="import an Open Food Facts export (CSV or JSONL, may be gzipped) as shared foods",
    )
    fi.add_argument("file", help="the export file")
    fi.add_argument(
        "--limit", type=int, default=100_000, help="read at most this many products (100000)"
    )
    fi.set_defaults(func=_import_off)

    p = sub.add_parser(
        "worker", help="run nightly-plan jobs from Redis (plus the scheduler and the outbox)"
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="jobs (batches of users) at once (default PIPELINE_CONCURRENCY, 2)",
    )
    p.add_argument(
        "--no-scheduler",
        action="store_true",
        help="only consume jobs; leave the 15-minute scheduler and the outbox to other workers",
    )
    p.set_defaults(func=_worker)

    p = sub.add_parser("backup", help="back up the database to PATH (pg_dump / SQLite backup)")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_backup)

    p = sub.add_parser("restore", help="replace the database's contents with the backup at PATH")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_restore)

    p = sub.add_parser("admin", help="grant or revoke the admin role (audited)")
    asub = p.add_subparsers(dest="admin_cmd", required=True)
    for name in ("grant", "revoke"):
        ap = asub.add_parser(name, help=f"{name} the admin role")
        ap.add_argument("identifier", metavar="EMAIL|PHONE")
        ap.set_defaults(func=_admin)

    sub.add_parser(
        "parse", help="parse meal text offline (see `nexfitra parse --help`)", add_help=False
    )

    # The API client's commands (app/cli_client): typer, talking to a running server over HTTP.
    for name, help_ in CLIENT_COMMANDS.items():
        sub.add_parser(name, help=help_, add_help=False)
    if argv and (argv[0] in CLIENT_COMMANDS or argv[0].startswith("--api")):
        from app.cli_client import main as client_main

        return client_main(argv)

    if argv and argv[0] == "parse":
        return _parse(argparse.Namespace(), argv[1:])
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
