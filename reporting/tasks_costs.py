"""Celery tasks of reporting: costs (imported by reporting/tasks.py, so the worker finds them)."""
