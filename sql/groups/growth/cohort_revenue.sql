-- Supplier cohorts by first paying month (SPEC §6): the cohort is the local calendar
-- month [start, end) that holds f_x (supplier_first_paid), one of the 12 months before
-- T's local month. logo retention = share of the cohort paying at T; MRR retention =
-- Σ m_x(T) / Σ m_x(f_x). A month without members has no row (both ratios would divide
-- by zero).
SELECT c.label AS cohort,
       (count(*) FILTER (WHERE fp.mrr_now > 0)::numeric / count(*))::double precision
           AS logo_retention,
       (sum(fp.mrr_now) / nullif(sum(fp.mrr_first), 0))::double precision AS mrr_retention
FROM unnest(
    %(cohort_labels)s::text[], %(cohort_starts)s::timestamptz[], %(cohort_ends)s::timestamptz[]
) AS c (label, starts, ends)
JOIN supplier_first_paid(%(t)s) AS fp ON fp.first_paid_at >= c.starts AND fp.first_paid_at < c.ends
GROUP BY c.label
ORDER BY c.label;
