"""Imports every table model so SQLModel.metadata is complete (for Alembic and tests)."""

from app.activities.models import Activity, TrackerConnection
from app.auth.models import RefreshToken, User
from app.foods.models import Food, FoodPortion
from app.goals.models import Goal
from app.inventory.models import InventoryItem, InventoryLedgerEntry, Receipt
from app.logs.models import LogEntry
from app.pipeline.models import Notification, NotificationDelivery, PlanRun, Webhook
from app.plans.models import CustomRecipe, MealPlan
from app.users.models import UserProfile, WeightEntry

__all__ = [
    "Activity",
    "CustomRecipe",
    "Food",
    "FoodPortion",
    "Goal",
    "InventoryItem",
    "InventoryLedgerEntry",
    "LogEntry",
    "MealPlan",
    "Notification",
    "NotificationDelivery",
    "PlanRun",
    "Receipt",
    "RefreshToken",
    "TrackerConnection",
    "User",
    "UserProfile",
    "Webhook",
    "WeightEntry",
]
