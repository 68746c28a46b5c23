from __future__ import annotations

from app.admin.cli import set_role


async def make_admin(app, user) -> None:
    """The first operator is made on the command line; so are the tests' ones."""
    assert await set_role(app.state.resources.settings, user.email, True) == 0


# A snack of the test catalogue's oat bar (60 g), logged by id in several catalogue tests.
BAR_LOG = {
    "meal_type": "snack",
    "grams": 60,
    "description": "bar",
    "kcal": 228,
    "protein_g": 12,
    "carbs_g": 27,
    "fat_g": 7.2,
}
