"""Alarms: which limit a value is beyond (``limits``); the engine, journal and actions come here."""
