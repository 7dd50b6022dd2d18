-- The exporter's own settings, written by every `execmetrics migrate` from the config,
-- so that views and materialized views evaluate in the reporting time zone and currency.
CREATE TABLE settings (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    reporting_timezone text NOT NULL,
    reporting_currency text NOT NULL,
    session_cap        integer NOT NULL,
    source_schema      text NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- What the view layer was last built from (file checksums plus settings); migrate
-- rebuilds views only when this changes.
CREATE TABLE view_layer (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    checksum   text NOT NULL,
    built_at   timestamptz NOT NULL DEFAULT now()
);
