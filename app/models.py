"""Imports every table model so SQLModel.metadata is complete (for Alembic and tests)."""

from app.auth.models import RefreshToken, User
from app.foods.models import Food, FoodPortion
from app.goals.models import Goal
from app.logs.models import LogEntry

__all__ = ["Food", "FoodPortion", "Goal", "LogEntry", "RefreshToken", "User"]
