-- MRR(T) by the currency each revenue row is priced in (SPEC §3), for the board pack's
-- disclosures. Per currency, over the rows of subscription_periods live at T: how many,
-- their MRR in the reporting currency (each row at the rate of its start date, as MRR
-- counts it), their monthly amount in their own currency, the lowest and highest of
-- those start-date rates, and the rate in force on %(rate_date)s (the month's last local
-- day: the latest valid rate with valid_from on or before it, 1 for the reporting
-- currency) with the MRR the same rows would make at it (NULL when there is none).
WITH live AS (
    SELECT p.currency,
           p.fx_rate,
           p.mrr,
           s.amount_minor::numeric / s.interval_months / 100 AS amount
    FROM subscription_periods AS p
    JOIN subscriptions AS s ON s.id = p.id
    WHERE live_at(p.live_from, p.live_until, %(t)s)
),
per_currency AS (
    SELECT currency,
           count(*) AS periods,
           sum(mrr) AS mrr,
           sum(amount) AS amount,
           min(fx_rate) AS min_rate,
           max(fx_rate) AS max_rate
    FROM live
    GROUP BY currency
)
SELECT c.currency,
       c.periods,
       c.mrr,
       c.amount,
       c.min_rate,
       c.max_rate,
       closing.rate AS closing_rate,
       c.amount * closing.rate AS mrr_at_closing_rate
FROM per_currency AS c
CROSS JOIN settings AS cfg
CROSS JOIN LATERAL (
    SELECT CASE
               WHEN c.currency = cfg.reporting_currency THEN 1::numeric
               ELSE (SELECT r.rate
                     FROM fx_rates AS r
                     WHERE r.currency = c.currency
                       AND r.valid_from <= %(rate_date)s
                       AND r.rate > 0
                       AND r.rate < 'Infinity'
                     ORDER BY r.valid_from DESC
                     LIMIT 1)
           END AS rate
) AS closing
ORDER BY c.mrr DESC, c.currency;
