"""The tamper-evident audit chain and the records of who saw or exported personal data."""
