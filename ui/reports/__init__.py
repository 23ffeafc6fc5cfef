"""Rendering of report models (``app.reports``) to PDF, printers and print preview."""
