"""Imports every table model so SQLModel.metadata is complete (for Alembic and tests)."""

from app.activities.models import Activity
from app.admin.models import AuditEntry
from app.auth.models import PasswordResetToken, RefreshToken, User
from app.foods.models import Food, FoodPortion
from app.goals.models import Goal
from app.inventory.models import InventoryItem
from app.logs.models import LogEntry
from app.pipeline.models import Notification, NotificationDelivery, PlanRun, Webhook
from app.plans.models import CustomRecipe, MealPlan, PlanFeedback
from app.users.models import UserProfile, WeightEntry

__all__ = [
    "Activity",
    "AuditEntry",
    "CustomRecipe",
    "Food",
    "FoodPortion",
    "Goal",
    "InventoryItem",
    "LogEntry",
    "MealPlan",
    "Notification",
    "NotificationDelivery",
    "PasswordResetToken",
    "PlanFeedback",
    "PlanRun",
    "RefreshToken",
    "User",
    "UserProfile",
    "Webhook",
    "WeightEntry",
]
