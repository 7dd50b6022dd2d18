-- Take the refresh lease when free (claim_refresh_lease in sql/views/90_roles.sql).
SELECT claim_refresh_lease(%(holder)s, %(min_gap_seconds)s)
