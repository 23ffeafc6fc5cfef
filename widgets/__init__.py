"""Reusable Qt widgets that take plain data and know nothing of the database or services."""
