-- The configured targets (config `targets`), exported so boards and alerts read the
-- same number: one row per target name, the same at every instant of a pass.
SELECT i.n, t.name AS metric, t.value
FROM unnest(%(n)s::integer[]) AS i (n)
CROSS JOIN unnest(%(target_names)s::text[], %(target_values)s::double precision[]) AS t (name, value)
ORDER BY i.n, t.name;
