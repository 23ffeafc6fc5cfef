"""Records: residents and households, volunteers and hours, elderly care, employment support, duty
teams and registered vehicles. Qt-free services; every check of a role lives here (not in pages)."""
