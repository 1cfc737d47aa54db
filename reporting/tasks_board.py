"""Celery tasks of reporting: board (imported by reporting/tasks.py, so the worker finds them)."""
