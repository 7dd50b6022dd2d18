"""Forecasts of the headline metrics with intervals, and pacing to the targets (SPEC §11).

The fit data is the engine's own: the SQL groups evaluated at the local midnights of the
year before T (``history``), never Prometheus's retention. The model library is imported
by ``model`` alone, and ``model`` only when a fit runs (``group.run_forecast``), so the
scrape path never maps it.
"""
