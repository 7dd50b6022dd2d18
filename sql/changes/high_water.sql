-- The high-water mark of each source table for the change poll (exporter/changes.py):
-- its largest key, which a primary-key index answers without reading the table. A new
-- row moves it; an UPDATE or DELETE that leaves the largest key alone does not.
SELECT (SELECT max(id) FROM suppliers) AS suppliers,
       (SELECT max(id) FROM couples) AS couples,
       (SELECT max(id) FROM subscriptions) AS subscriptions,
       (SELECT max(valid_from) FROM fx_rates) AS fx_rates,
       (SELECT max(id) FROM user_sessions) AS user_sessions,
       (SELECT max(id) FROM invitations) AS invitations
