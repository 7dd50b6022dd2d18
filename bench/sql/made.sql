-- What made this benchmark database, so a later run reuses it instead of remaking it.
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE bench.made (made_by text NOT NULL, scale text NOT NULL, made_at timestamptz NOT NULL);
INSERT INTO bench.made VALUES (%(made_by)s, %(scale)s, now());
