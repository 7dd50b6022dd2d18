"""execmetrics: executive metrics of a two-sided wedding platform, for Prometheus."""
