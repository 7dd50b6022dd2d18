-- Refresh the rollups and every materialized view as the lease holder (sql/views/90_roles.sql).
SELECT refresh_materialized_views(%(holder)s)
