-- The six source tables (SPEC §1) with user_sessions and invitations declaratively
-- partitioned by month of created_at / sent_at, monthly partitions 2020–2027 and a
-- default partition, as a platform that outgrew one table would have them, with the
-- indexes of the reference tables (sql/reference/). A partitioned table's primary key
-- must hold its partition key: (id, created_at). Created in the current search_path:
-- tests/test_partitioned.py and bench/layouts.py run it.
CREATE TABLE suppliers (
    id bigint PRIMARY KEY, created_at timestamptz NOT NULL, deleted_at timestamptz NULL,
    category text NULL, country text NULL
);
CREATE TABLE couples (
    id bigint PRIMARY KEY, created_at timestamptz NOT NULL, deleted_at timestamptz NULL,
    wedding_date date NULL, country text NULL
);
CREATE TABLE subscriptions (
    id bigint PRIMARY KEY, supplier_id bigint NOT NULL, plan text NULL, status text NULL,
    amount_minor bigint NOT NULL, currency char(3) NOT NULL, interval_months int NOT NULL,
    started_at timestamptz NOT NULL, trial_ends_at timestamptz NULL, ended_at timestamptz NULL
);
CREATE TABLE fx_rates (
    currency char(3) NOT NULL, valid_from date NOT NULL, rate numeric NOT NULL,
    PRIMARY KEY (currency, valid_from)
);
CREATE TABLE user_sessions (
    id bigint NOT NULL, supplier_id bigint NULL, couple_id bigint NULL,
    created_at timestamptz NOT NULL, session_duration int NULL,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE invitations (
    id bigint NOT NULL, supplier_id bigint NOT NULL, couple_id bigint NULL, channel text NULL,
    sent_at timestamptz NOT NULL, accepted_at timestamptz NULL,
    PRIMARY KEY (id, sent_at)
) PARTITION BY RANGE (sent_at);
CREATE TABLE user_sessions_default PARTITION OF user_sessions DEFAULT;
CREATE TABLE invitations_default PARTITION OF invitations DEFAULT;
DO $$
DECLARE
    m date;
BEGIN
    FOR m IN SELECT g::date FROM generate_series(date '2020-01-01', date '2027-12-01', interval '1 month') AS g LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF user_sessions FOR VALUES FROM (%L) TO (%L)',
            'user_sessions_' || to_char(m, 'YYYY_MM'), m::timestamptz, (m + interval '1 month')::timestamptz
        );
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF invitations FOR VALUES FROM (%L) TO (%L)',
            'invitations_' || to_char(m, 'YYYY_MM'), m::timestamptz, (m + interval '1 month')::timestamptz
        );
    END LOOP;
END
$$;
CREATE INDEX user_sessions_created_idx ON user_sessions (created_at);
CREATE INDEX invitations_sent_idx ON invitations (sent_at);
CREATE INDEX subscriptions_supplier_idx ON subscriptions (supplier_id);
CREATE INDEX suppliers_created_idx ON suppliers (created_at);
CREATE INDEX couples_created_idx ON couples (created_at);
