"""Reporting pages: kcio (urls in reporting/urls_kcio.py)."""
