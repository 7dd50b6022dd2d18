-- The configured targets (config `targets`), exported so boards and alerts read the
-- same number: one row per target name.
SELECT t.name AS metric, t.value
FROM unnest(%(target_names)s::text[], %(target_values)s::double precision[]) AS t (name, value)
ORDER BY t.name;
