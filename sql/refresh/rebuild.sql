-- Rebuild the session rollups in full (sql/views/40_session_rollups.sql): every migrate
-- runs it, after the view layer.
SELECT refresh_session_rollups(true)
