CREATE UNIQUE INDEX IF NOT EXISTS daily_metrics_naive_day ON bench.daily_metrics_naive (day)
