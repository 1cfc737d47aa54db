"""Reporting pages: costs (urls in reporting/urls_costs.py)."""
