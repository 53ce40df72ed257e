-- Current schema (version 2) for a fresh PostgreSQL store; {table} is the validated store table name.
-- Older stores are upgraded by the steps in postgres.py instead, so keep both in step.
CREATE TABLE IF NOT EXISTS {table} (
    key        TEXT PRIMARY KEY,
    attributes JSONB NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
