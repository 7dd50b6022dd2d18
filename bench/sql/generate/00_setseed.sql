-- The benchmark's own data, made on the server (bench/generate.py): not the project's
-- seed, so the exporter is measured on a shape it was not written against. Every
-- parameter comes from the scale; setseed() fixes random() for the whole session, so a
-- scale always gives the same rows. Times are spread evenly over the history in id
-- order, as an append-only platform writes them: a longer history at the same density
-- only adds older rows.
--   %(seed)s %(end)s %(days)s %(suppliers)s %(couples)s %(sessions)s %(invitations)s

SELECT setseed(%(seed)s)
