"""Storage: the one engine factory, the single SQLite writer, migrations on start."""
