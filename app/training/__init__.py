"""Exercises, workout logs, progress, body measurements and training programs."""
