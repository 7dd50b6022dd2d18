-- Record a completed refresh by the lease holder.
UPDATE refresh_lease
SET refreshed_at = clock_timestamp(), refreshes = refreshes + 1
WHERE holder = %(holder)s
