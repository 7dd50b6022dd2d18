-- Supplier cohorts by first paying month (SPEC §6), at every instant of a pass: the
-- cohort is the local calendar month [start, end) that holds f_x (supplier_first_paid_at),
-- one of the 12 months before T's local month. logo retention = share of the cohort
-- paying at T; MRR retention = Σ m_x(T) / Σ m_x(f_x). A month without members has no row
-- (both ratios would divide by zero).
--
-- The cohort months of all the instants: cohort_bounds are their edges in order, and
-- cohort_bucket_labels[i] names the month [bounds[i], bounds[i + 1]) (NULL for a gap
-- between the months of instants far apart); each instant keeps the months from its
-- cohort_first to its cohort_last.
WITH instants AS (
    SELECT i.n, i.cohort_first, i.cohort_last
    FROM unnest(%(n)s::integer[], %(cohort_first)s::text[], %(cohort_last)s::text[])
        AS i (n, cohort_first, cohort_last)
),
members AS (
    SELECT fp.n,
           (%(cohort_bucket_labels)s::text[])[
               width_bucket(fp.first_paid_at, %(cohort_bounds)s::timestamptz[])
           ] AS cohort,
           fp.mrr_first,
           fp.mrr_now
    FROM supplier_first_paid_at(%(n)s::integer[], %(t)s::timestamptz[]) AS fp
    WHERE fp.first_paid_at >= %(cohort_first_start)s AND fp.first_paid_at < %(cohort_last_end)s
)
SELECT i.n,
       m.cohort,
       (count(*) FILTER (WHERE m.mrr_now > 0)::numeric / count(*))::double precision
           AS logo_retention,
       (sum(m.mrr_now) / nullif(sum(m.mrr_first), 0))::double precision AS mrr_retention
FROM instants AS i
JOIN members AS m ON m.n = i.n AND m.cohort BETWEEN i.cohort_first AND i.cohort_last
GROUP BY i.n, m.cohort
ORDER BY i.n, m.cohort;
