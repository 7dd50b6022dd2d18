-- MRR(T) by the subscriptions' recorded status (trialing, active, past_due, canceled,
-- ...). SPEC §1: status is informational and every computation uses the time columns,
-- so a past_due row live at T is in MRR; the pack discloses each status's share. Over
-- the rows of subscription_periods live at T; a NULL or blank status is 'unknown'.
SELECT label_value(s.status) AS status,
       count(*) AS periods,
       count(DISTINCT p.supplier_id) AS suppliers,
       sum(p.mrr) AS mrr
FROM subscription_periods AS p
JOIN subscriptions AS s ON s.id = p.id
WHERE live_at(p.live_from, p.live_until, %(t)s)
GROUP BY label_value(s.status)
ORDER BY sum(p.mrr) DESC, 1;
