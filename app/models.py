"""Imports every table model so SQLModel.metadata is complete (for Alembic and tests)."""

from app.activities.models import Activity, TrackerConnection
from app.admin.models import AuditEntry
from app.auth.models import PasswordResetToken, RefreshToken, User
from app.events.models import ConsumedEvent, OutboxEvent, ParkedEvent, WeeklyInsight
from app.foods.models import DataFingerprint, Food, FoodPortion
from app.goals.models import Goal
from app.inventory.models import InventoryItem, InventoryLedgerEntry, Receipt
from app.logs.models import LogEntry
from app.pipeline.models import Notification, NotificationDelivery, PlanRun, Webhook
from app.plans.models import (
    CatalogStamp,
    CustomRecipe,
    MealPlan,
    PlanFeedback,
    RetiredRecipe,
    SharedRecipe,
)
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
    "CatalogStamp",
    "ConsumedEvent",
    "CustomRecipe",
    "DataFingerprint",
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
    "RetiredRecipe",
    "SharedRecipe",
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
