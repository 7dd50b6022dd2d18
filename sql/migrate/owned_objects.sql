-- What `migrate` created in the exporter's schema, by kind and name: a later migrate
-- rebuilds these and refuses a schema holding anything else.
CREATE TABLE IF NOT EXISTS owned_objects (
    kind text NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (kind, name)
)
