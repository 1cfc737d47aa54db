"""Reporting pages: targets (urls in reporting/urls_targets.py)."""
