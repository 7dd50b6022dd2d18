-- DAU / WAU / MAU: distinct users of both sides with a session in the last 1, 7, 30 days.
SELECT (SELECT count(DISTINCT (s.supplier_id, s.couple_id)) FROM user_sessions AS s
        WHERE s.created_at > %(at)s::timestamptz - interval '1 day'
          AND s.created_at <= %(at)s::timestamptz
          AND (s.supplier_id IS NULL) <> (s.couple_id IS NULL)) AS dau,
       (SELECT count(DISTINCT (s.supplier_id, s.couple_id)) FROM user_sessions AS s
        WHERE s.created_at > %(at)s::timestamptz - interval '7 days'
          AND s.created_at <= %(at)s::timestamptz
          AND (s.supplier_id IS NULL) <> (s.couple_id IS NULL)) AS wau,
       (SELECT count(DISTINCT (s.supplier_id, s.couple_id)) FROM user_sessions AS s
        WHERE s.created_at > %(at)s::timestamptz - interval '30 days'
          AND s.created_at <= %(at)s::timestamptz
          AND (s.supplier_id IS NULL) <> (s.couple_id IS NULL)) AS mau
