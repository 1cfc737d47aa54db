"""Celery tasks of reporting: mail (imported by reporting/tasks.py, so the worker finds them)."""
