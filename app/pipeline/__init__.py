"""The nightly plan pipeline: scheduler, per-user jobs, notification outbox."""
