-- The earliest instant with data, for the pack's "first month with data" (docs/spec.md
-- §10): the earliest of the suppliers' and couples' created_at and of the
-- subscriptions' started_at (NULL when all three tables are empty). The local month of
-- this instant in the reporting time zone is the first month with data.
SELECT least(
    (SELECT min(created_at) FROM suppliers),
    (SELECT min(created_at) FROM couples),
    (SELECT min(started_at) FROM subscriptions)
) AS first_at;
