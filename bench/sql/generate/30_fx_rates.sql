INSERT INTO fx_rates (currency, valid_from, rate)
SELECT c.currency,
       d::date,
       round((c.base * (0.95 + 0.1 * random()))::numeric, 6)
FROM (VALUES ('EUR', 0.86), ('USD', 0.79)) AS c (currency, base)
CROSS JOIN generate_series(
    date_trunc('month', %(end)s::timestamptz - make_interval(days => %(days)s + 60)),
    %(end)s::timestamptz,
    interval '1 month'
) AS d
