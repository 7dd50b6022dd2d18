-- The rollups rebuilt from every session, as migrate and the daily full pass do
-- (sql/views/40_session_rollups.sql), in the exporter schema {schema}.
SELECT {schema}.refresh_session_rollups(true)
