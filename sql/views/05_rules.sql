-- The rules that several queries share, each written once (SPEC §3, §4). Plain SQL
-- functions: the planner inlines the scalar ones into the queries that call them.
-- CREATE OR REPLACE: the view layer is rebuilt in place, and the views below call these.

-- A subscription period counts at t when live_from <= t < live_until (open when NULL).
CREATE OR REPLACE FUNCTION live_at(live_from timestamptz, live_until timestamptz, t timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT live_from <= t AND (live_until IS NULL OR t < live_until) $$;

-- A supplier or couple exists at t when created at or before t and not deleted at t.
CREATE OR REPLACE FUNCTION exists_at(created_at timestamptz, deleted_at timestamptz, t timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT created_at <= t AND (deleted_at IS NULL OR deleted_at > t) $$;

-- An invitation counts as accepted by t when accepted at or before t and not before it
-- was sent (an acceptance before the send is a data-quality issue, not an acceptance).
CREATE OR REPLACE FUNCTION accepted_by(sent_at timestamptz, accepted_at timestamptz, t timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(accepted_at <= t AND accepted_at >= sent_at, false) $$;

-- A revenue row pays at some instant when its mrr is above zero on a non-empty span
-- [live_from, live_until) (SPEC §3: "paid before M1", a cohort's first paying instant).
CREATE OR REPLACE FUNCTION pays_on_a_span(mrr numeric, live_from timestamptz, live_until timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT mrr > 0 AND (live_until IS NULL OR live_from < live_until) $$;

-- A supplier's MRR movement over (M1, T] (SPEC §3), from s = m_x(M1), e = m_x(T) and
-- whether x paid at some instant before M1; NULL when its MRR did not change. Its
-- amount is |e - s| (s, e >= 0).
CREATE OR REPLACE FUNCTION mrr_movement(s numeric, e numeric, paid_before boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE
           WHEN s = e THEN NULL
           WHEN s = 0 AND paid_before THEN 'reactivation'
           WHEN s = 0 THEN 'new'
           WHEN e = 0 THEN 'churn'
           WHEN e > s THEN 'expansion'
           ELSE 'contraction'
       END
$$;

-- A label value read from the data: NULL, empty or made only of ASCII white space
-- (space, tab, newline, vertical tab, form feed, carriage return) is 'unknown'. The set
-- is spelled out rather than [[:space:]], whose meaning follows the server's locale.
CREATE OR REPLACE FUNCTION label_value(value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN value IS NULL OR btrim(value, E' \t\n\x0b\f\r') = '' THEN 'unknown' ELSE value END $$;

-- The bound on a data-driven label (SPEC §4): given every label value of one series
-- family with its weight (the metric's value, or the count it is ranked by) as a jsonb
-- object {label: weight}, e.g. jsonb_object_agg(plan, mrr), the top_n values keep
-- their name and the rest fall into 'other'. Ties are broken by the label in
-- code-point order ("C" collation), so the choice never depends on the server's locale.
-- jsonb keeps numeric weights exact.
DROP FUNCTION IF EXISTS label_buckets(jsonb, integer);
CREATE FUNCTION label_buckets(weights jsonb, top_n integer)
RETURNS TABLE (label text, bucket text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT u.key,
       CASE WHEN row_number() OVER (ORDER BY u.value::numeric DESC, u.key COLLATE "C") <= top_n
            THEN u.key ELSE 'other' END
FROM jsonb_each_text(weights) AS u
$$;
