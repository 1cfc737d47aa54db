"""Reporting pages: board (urls in reporting/urls_board.py)."""
