"""Imports every table model so SQLModel.metadata is complete (for Alembic and tests)."""

from app.activities.models import Activity, TrackerConnection
from app.admin.models import AuditEntry
from app.auth.models import PasswordResetToken, RefreshToken, User
from app.events.models import ConsumedEvent, OutboxEvent, ParkedEvent, WeeklyInsight
from app.foods.models import Food, FoodPortion
from app.goals.models import Goal
from app.inventory.models import InventoryItem, InventoryLedgerEntry, Receipt
from app.logs.models import LogEntry
from app.pipeline.models import Notification, NotificationDelivery, PlanRun, Webhook
from app.plans.models import CustomRecipe, MealPlan, PlanFeedback
from app.training.models import (
    BodyMeasurement,
    Exercise,
    ExerciseMuscle,
    Program,
    Workout,
    WorkoutSet,
)
from app.users.models import UserProfile, WeightEntry
from app.water.models import WaterEntry

__all__ = [
    "Activity",
    "AuditEntry",
    "BodyMeasurement",
    "ConsumedEvent",
    "CustomRecipe",
    "Exercise",
    "ExerciseMuscle",
    "Food",
    "FoodPortion",
    "Goal",
    "InventoryItem",
    "InventoryLedgerEntry",
    "LogEntry",
    "MealPlan",
    "Notification",
    "NotificationDelivery",
    "OutboxEvent",
    "ParkedEvent",
    "PasswordResetToken",
    "PlanFeedback",
    "PlanRun",
    "Program",
    "Receipt",
    "RefreshToken",
    "TrackerConnection",
    "User",
    "UserProfile",
    "WaterEntry",
    "Webhook",
    "WeeklyInsight",
    "WeightEntry",
    "Workout",
    "WorkoutSet",
]
