-- Registered couples at T (SPEC §3 total) by stage (SPEC §6): planning when the wedding
-- date is on or after T's local date, married when before it, unknown when NULL. Every
-- stage is exported, 0 when empty.
WITH registered AS (
    SELECT CASE
               WHEN co.wedding_date IS NULL THEN 'unknown'
               WHEN co.wedding_date >= %(t_date)s THEN 'planning'
               ELSE 'married'
           END AS stage
    FROM couples AS co
    WHERE exists_at(co.created_at, co.deleted_at, %(t)s)
)
SELECT stages.stage, count(r.stage)::double precision AS couples
FROM (VALUES ('planning'), ('married'), ('unknown')) AS stages (stage)
LEFT JOIN registered AS r ON r.stage = stages.stage
GROUP BY stages.stage
ORDER BY stages.stage;
