"""/docs in a real browser: Debian's chromium driven by Playwright against a uvicorn server.

The server runs in the test's event loop on the session app (so both backends are covered);
the browser signs in through Swagger UI's Authorize dialog and runs "Try it out".
Without chromium the test skips locally; under CI=true it fails, so CI cannot go green
without having run it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest
import uvicorn

CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI", "").lower() not in ("1", "true"),
    reason="chromium is not installed (CI installs it; `apt-get install chromium` to run)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(app):
    port = _free_port()
    # The session fixture already ran the app's lifespan; uvicorn only serves it.
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return server, task, f"http://127.0.0.1:{port}"


@needs_chromium
async def test_docs_sign_in_and_try_it_out(app, client, user):
    assert CHROMIUM is not None, "chromium is required under CI=true (apt-get install chromium)"
    from playwright.async_api import async_playwright

    server, task, base = await _serve(app)
    outside: list[str] = []
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = await browser.new_page()

            def outside_host(request) -> bool:
                url = request.url
                return not url.startswith(("data:", "blob:")) and (
                    urlsplit(url).hostname != "127.0.0.1"
                )

            # What the page's Content-Security-Policy stops never reaches the network; any other
            # request to another host (answered or failed, as it would be offline) counts.
            def on_finished(request):
                if outside_host(request):
                    outside.append(request.url)

            def on_failed(request):
                if outside_host(request) and "csp" not in (request.failure or "").lower():
                    outside.append(f"{request.url} ({request.failure})")

            page.on("requestfinished", on_finished)
            page.on("requestfailed", on_failed)
            await page.goto(f"{base}/docs", wait_until="networkidle")
            await page.get_by_role("button", name="Authorize").first.click()
            dialog = page.locator(".dialog-ux")
            await dialog.locator("#oauth_username").fill(user.email)
            await dialog.locator("#oauth_password").fill(user.password)
            await dialog.locator("button.authorize").first.click()
            await dialog.get_by_text("Logout").first.wait_for()
            await dialog.locator("button.btn-done").first.click()

            op = page.locator("#operations-users-users_me")
            await op.locator(".opblock-summary").first.click()
            await op.get_by_role("button", name="Try it out").click()
            await op.locator("button.execute").click()
            body = op.locator(".responses-wrapper .live-responses-table .response .microlight")
            await body.first.wait_for()
            text = await body.first.inner_text()
            status = await op.locator(
                ".live-responses-table tbody .response-col_status"
            ).first.inner_text()

            # ReDoc renders from the packaged bundle too.
            await page.goto(f"{base}/redoc", wait_until="networkidle")
            await page.get_by_text("NexFitra API").first.wait_for()
            await browser.close()
    finally:
        server.should_exit = True
        await task
    assert status.strip().startswith("200"), status
    assert f'"email": "{user.email}"' in text, text
    assert outside == []


async def test_docs_html_names_no_external_host(client):
    for path in ("/docs", "/redoc"):
        r = await client.get(path)
        assert r.status_code == 200
        assert "http://" not in r.text and "https://" not in r.text, r.text
