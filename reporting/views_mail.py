"""Reporting pages: mail (urls in reporting/urls_mail.py)."""
