#!/bin/sh
# Lets the streaming standby of the `standby` profile (docker-compose.yml) replicate from
# this server: replication connections as the superuser, with its password
# (scram-sha-256). The official image runs this once, when it initialises an empty data
# directory; a data directory made before needs the same line added to pg_hba.conf by
# hand (then `SELECT pg_reload_conf()`).
set -e
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
