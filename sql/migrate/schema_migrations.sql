-- The versioned migrations applied (sql/migrations/V0NN__name.sql), each with the
-- checksum of its text: an applied file that changed stops `migrate`.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
