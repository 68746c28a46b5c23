from __future__ import annotations

from app.admin.cli import set_role


async def make_admin(app, user) -> None:
    """The first operator is made on the command line; so are the tests' ones."""
    assert await set_role(app.state.resources.settings, user.email, True) == 0
