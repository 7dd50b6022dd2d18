-- Whether the partitioned layout holds as many sessions as the plain tables.
SELECT (SELECT count(*) FROM bench_parted.user_sessions) = (SELECT count(*) FROM public.user_sessions)
   AND (SELECT count(*) FROM bench_parted.invitations) = (SELECT count(*) FROM public.invitations)
