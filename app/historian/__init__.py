"""The historian: point samples kept by deadband and maximum interval, trend queries, retention.

``Historian`` is the service (record, flush, query, purge, background thread); ``TrendSeries`` is
what a trend query returns. See ``rules`` for what is stored, ``query`` for downsampling and
``purge`` for retention.
"""

from app.historian.query import TrendSeries
from app.historian.service import Clock, Historian, Reading

__all__ = ["Clock", "Historian", "Reading", "TrendSeries"]
