-- The orchestrator's own database (API keys, workflow catalog, metering
-- ledger, trigger state), apart from Temporal's. Runs once, when the
-- postgres volume is first created.
CREATE ROLE fnchain LOGIN PASSWORD 'fnchain';
CREATE DATABASE fnchain OWNER fnchain;
