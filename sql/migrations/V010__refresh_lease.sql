-- One refresher among replicas: the replica whose claim succeeds refreshes the
-- materialized views; the others see a recent claim and skip. A claim older than
-- (almost) one refresh interval may be taken over by any replica, so a leader that
-- stops (crashed, frozen, partitioned) is replaced at the next tick of another one.
CREATE TABLE refresh_lease (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    holder       text NOT NULL,
    claimed_at   timestamptz NOT NULL,
    refreshed_at timestamptz,
    refreshes    bigint NOT NULL DEFAULT 0
);
