"""Several workstations on one site: stations own devices by lease, consoles follow through the database."""
