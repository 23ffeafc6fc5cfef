"""SQLAlchemy 2.0 typed ORM and plain domain value types. No Qt, no app."""
