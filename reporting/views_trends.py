"""Reporting pages: trends (urls in reporting/urls_trends.py)."""
