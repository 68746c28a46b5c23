"""`nexfitra admin grant|revoke EMAIL|PHONE`: how the first operator is made."""

from __future__ import annotations

import sys

from app.admin import service
from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker


async def set_role(settings: Settings, identifier: str, grant: bool) -> int:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            user = await service.find_user(session, identifier)
            if user is None:
                print(f"no account for {identifier!r}", file=sys.stderr)
                return 1
            await service.set_role(
                session, None, user, "admin" if grant else "user", actor_label="cli"
            )
            print(f"{identifier}: role {user.role}")
            return 0
    finally:
        await engine.dispose()
