-- Current schema (version 2) for a fresh SQLite store; {table} is the validated store table name.
-- Older stores are upgraded by the steps in sqlite.py instead, so keep both in step.
CREATE TABLE IF NOT EXISTS {table} (
    key        TEXT PRIMARY KEY,
    attributes TEXT NOT NULL CHECK (json_valid(attributes)),
    version    INTEGER NOT NULL CHECK (version >= 1),
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
