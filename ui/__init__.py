"""Windows, pages and dialogs bound to the app services; the Qt bridge; the GUI entry point."""
