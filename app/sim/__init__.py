"""Simulators for the demo site, drills and tests: real servers on loopback, never mocks."""
