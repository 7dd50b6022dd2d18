-- Reference source schema (SPEC §1): the six platform tables the exporter reads.
-- Created by `execmetrics migrate` only when none of them exist in source.schema, for
-- demos and tests. No CHECK constraints: the rows SPEC §3 lists as data-quality issues
-- must load, so the exporter can count them. The columns follow exporter/contract.py
-- (a test compares the two); the indexes are this file's own.
-- Runs with search_path set to the source schema only.

CREATE TABLE suppliers (
    id          bigint PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    deleted_at  timestamptz NULL,
    category    text NULL,
    country     text NULL
);

CREATE TABLE couples (
    id           bigint PRIMARY KEY,
    created_at   timestamptz NOT NULL,
    deleted_at   timestamptz NULL,
    wedding_date date NULL,
    country      text NULL
);

CREATE TABLE subscriptions (
    id              bigint PRIMARY KEY,
    supplier_id     bigint NOT NULL,
    plan            text NULL,
    status          text NULL,
    amount_minor    bigint NOT NULL,
    currency        char(3) NOT NULL,
    interval_months int NOT NULL,
    started_at      timestamptz NOT NULL,
    trial_ends_at   timestamptz NULL,
    ended_at        timestamptz NULL
);

CREATE TABLE fx_rates (
    currency   char(3) NOT NULL,
    valid_from date NOT NULL,
    rate       numeric NOT NULL,
    PRIMARY KEY (currency, valid_from)
);

CREATE TABLE user_sessions (
    id               bigint PRIMARY KEY,
    supplier_id      bigint NULL,
    couple_id        bigint NULL,
    created_at       timestamptz NOT NULL,
    session_duration int NULL
);

CREATE TABLE invitations (
    id          bigint PRIMARY KEY,
    supplier_id bigint NOT NULL,
    couple_id   bigint NULL,
    channel     text NULL,
    sent_at     timestamptz NOT NULL,
    accepted_at timestamptz NULL
);

-- Indexes a platform would have for these access paths; the exporter's windows read by time.
CREATE INDEX subscriptions_supplier_idx ON subscriptions (supplier_id);
CREATE INDEX user_sessions_created_idx ON user_sessions (created_at);
CREATE INDEX invitations_sent_idx ON invitations (sent_at);
CREATE INDEX suppliers_created_idx ON suppliers (created_at);
CREATE INDEX couples_created_idx ON couples (created_at);
