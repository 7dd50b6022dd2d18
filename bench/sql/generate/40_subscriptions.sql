-- Two thirds of the suppliers subscribe some time after they sign up; a fifth of those
-- change plan once (the first period ends where the second starts); a quarter cancel.
WITH draw AS (
    SELECT s.id AS supplier_id,
           s.created_at + (%(end)s::timestamptz - s.created_at) * random() * 0.5 AS started_at,
           random() AS plan_draw,
           random() AS interval_draw,
           random() AS trial_draw,
           random() AS change_draw,
           random() AS churn_draw,
           random() AS when_draw,
           CASE s.country WHEN 'US' THEN 'USD' WHEN 'FR' THEN 'EUR' WHEN 'ES' THEN 'EUR'
                          WHEN 'IE' THEN 'EUR' ELSE 'GBP' END AS currency
    FROM suppliers AS s
    WHERE random() < 0.67
),
priced AS (
    SELECT d.*,
           CASE WHEN d.plan_draw < 0.05 THEN 'free' WHEN d.plan_draw < 0.55 THEN 'basic'
                WHEN d.plan_draw < 0.85 THEN 'pro' ELSE 'premium' END AS plan,
           CASE WHEN d.interval_draw < 0.7 THEN 1 WHEN d.interval_draw < 0.85 THEN 3 ELSE 12 END
               AS interval_months,
           d.started_at + (%(end)s::timestamptz - d.started_at) * d.when_draw AS changed_at
    FROM draw AS d
),
periods AS (
    -- the first period: ends at the plan change, or at the cancellation, or stays open
    SELECT p.supplier_id, p.plan, p.interval_months, p.currency, p.started_at,
           CASE WHEN p.trial_draw < 0.3 THEN p.started_at + interval '14 days' END AS trial_ends_at,
           CASE WHEN p.change_draw < 0.2 OR p.churn_draw < 0.25 THEN p.changed_at END AS ended_at
    FROM priced AS p
    UNION ALL
    -- the second period after a plan change, on the next plan up
    SELECT p.supplier_id,
           CASE p.plan WHEN 'free' THEN 'basic' WHEN 'basic' THEN 'pro' ELSE 'premium' END,
           p.interval_months, p.currency, p.changed_at, NULL,
           CASE WHEN p.churn_draw < 0.05
                THEN p.changed_at + (%(end)s::timestamptz - p.changed_at) * random() END
    FROM priced AS p
    WHERE p.change_draw < 0.2
)
INSERT INTO subscriptions (id, supplier_id, plan, status, amount_minor, currency,
                           interval_months, started_at, trial_ends_at, ended_at)
SELECT row_number() OVER (ORDER BY p.started_at, p.supplier_id),
       p.supplier_id,
       p.plan,
       CASE WHEN p.ended_at IS NOT NULL THEN 'canceled' ELSE 'active' END,
       p.interval_months * CASE p.plan WHEN 'free' THEN 0 WHEN 'basic' THEN 2900
                                       WHEN 'pro' THEN 5900 ELSE 9900 END
           * CASE WHEN p.interval_months = 12 THEN 10 ELSE 12 END / 12,
       p.currency,
       p.interval_months,
       p.started_at,
       p.trial_ends_at,
       p.ended_at
FROM periods AS p
