"""Wardroom's Qt-free core: configuration, storage, field I/O, video, alarms, services and the CLI."""
