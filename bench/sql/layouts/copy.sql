-- The benchmark's source rows copied into the partitioned layout (schema bench_parted,
-- made by examples/partitioned_source.sql): the same rows, column by column.
INSERT INTO bench_parted.suppliers (id, created_at, deleted_at, category, country)
SELECT id, created_at, deleted_at, category, country FROM public.suppliers;
INSERT INTO bench_parted.couples (id, created_at, deleted_at, wedding_date, country)
SELECT id, created_at, deleted_at, wedding_date, country FROM public.couples;
INSERT INTO bench_parted.subscriptions (
    id, supplier_id, plan, status, amount_minor, currency, interval_months,
    started_at, trial_ends_at, ended_at
)
SELECT id, supplier_id, plan, status, amount_minor, currency, interval_months,
       started_at, trial_ends_at, ended_at
FROM public.subscriptions;
INSERT INTO bench_parted.fx_rates (currency, valid_from, rate)
SELECT currency, valid_from, rate FROM public.fx_rates;
INSERT INTO bench_parted.user_sessions (id, supplier_id, couple_id, created_at, session_duration)
SELECT id, supplier_id, couple_id, created_at, session_duration FROM public.user_sessions;
INSERT INTO bench_parted.invitations (id, supplier_id, couple_id, channel, sent_at, accepted_at)
SELECT id, supplier_id, couple_id, channel, sent_at, accepted_at FROM public.invitations;
