"""HTTP access to the API with the stored token pair, refreshed when the access token expires."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import platformdirs

DEFAULT_API = "http://127.0.0.1:8000"
PREFIX = "/api/v1"


class CliError(Exception):
    """A failure to show the user as one line (no traceback)."""


def config_dir() -> Path:
    override = os.environ.get("NEXFITRA_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir("nexfitra"))


class TokenStore:
    """The token pair per API base URL in `<config dir>/tokens.json`, readable by the owner only."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "tokens.json"

    def _all(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read {self.path}: {exc}") from exc
        return data if isinstance(data, dict) else {}

    def get(self, api: str) -> dict[str, Any] | None:
        entry = self._all().get(api)
        return entry if isinstance(entry, dict) else None

    def put(self, api: str, tokens: dict[str, Any] | None) -> None:
        data = self._all()
        if tokens is None:
            data.pop(api, None)
        else:
            data[api] = {
                k: tokens[k] for k in ("access_token", "refresh_token", "email") if k in tokens
            }
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        # Created 0600 from the start, so the tokens are never readable by others, even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


class Api:
    def __init__(
        self,
        base: str = DEFAULT_API,
        store: TokenStore | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self.store = store or TokenStore()
        self.http = httpx.Client(base_url=self.base, timeout=30, transport=transport)

    def close(self) -> None:
        self.http.close()

    def login(self, email: str, password: str) -> dict[str, Any]:
        r = self._send("POST", "/auth/login", json={"email": email, "password": password})
        tokens = self._ok(r)
        self.store.put(self.base, {**tokens, "email": email})
        return {"email": email, "api": self.base}

    def logout(self) -> None:
        tokens = self.store.get(self.base)
        if tokens and tokens.get("refresh_token"):
            self._send("POST", "/auth/logout", json={"refresh_token": tokens["refresh_token"]})
        self.store.put(self.base, None)

    def _refresh(self) -> bool:
        tokens = self.store.get(self.base)
        if not tokens or not tokens.get("refresh_token"):
            return False
        r = self._send("POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        if r.status_code != 200:
            return False
        self.store.put(self.base, {**r.json(), "email": tokens.get("email")})
        return True

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            return self.http.request(method, PREFIX + path, **kw)
        except httpx.TransportError as exc:
            raise CliError(f"cannot reach the API at {self.base} ({exc})") from exc

    def _ok(self, r: httpx.Response) -> Any:
        if r.status_code == 204:
            return None
        if r.status_code >= 400:
            try:
                body = r.json()
                detail = body.get("detail") or body.get("title")
                errors = body.get("errors") or []
                if errors:
                    detail += ": " + "; ".join(
                        f"{e.get('field')}: {e.get('message')}" for e in errors
                    )
            except ValueError:
                detail = r.text[:200]
            raise CliError(f"HTTP {r.status_code}: {detail}")
        return r.json()

    def call(self, method: str, path: str, **kw: Any) -> Any:
        """An authenticated call; one refresh and retry when the access token has expired."""
        tokens = self.store.get(self.base)
        if not tokens:
            raise CliError(f"not logged in to {self.base}: run `nexfitra login`")
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        r = self._send(method, path, headers=headers, **kw)
        if r.status_code == 401 and self._refresh():
            tokens = self.store.get(self.base) or {}
            headers = {"Authorization": f"Bearer {tokens.get('access_token')}"}
            r = self._send(method, path, headers=headers, **kw)
        if r.status_code == 401:
            raise CliError("the session has expired: run `nexfitra login` again")
        return self._ok(r)
