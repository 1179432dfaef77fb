-- Issue 17 point 1: the events table is partitioned by month of received_at (the console's clock,
-- never the sender's: a month holds a tenant's events in chain order, so retention can cut a
-- chain prefix and drop whole months; docs/retention.md). The console creates months ahead of
-- time (db/partitions.ts); this migration creates the months its rows need plus the current
-- one and two ahead. PostgreSQL requires every unique key of a partitioned table to include the
-- partition column, so the keys gain received_at: an event id, a chain seq and an observed span
-- are still unique per tenant because every writer checks them under the tenant's chain-head
-- lock (lib/ingest/store.ts, lib/otlp/store.ts, lib/audit/append.ts) before it inserts.
CREATE TABLE "events_partitioned" (LIKE "events" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("received_at");--> statement-breakpoint
DO $$
DECLARE
  m timestamp;
  last timestamp;
BEGIN
  m := date_trunc('month', coalesce((SELECT min("received_at") FROM "events"), now()) AT TIME ZONE 'UTC');
  last := date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months';
  WHILE m <= last LOOP
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF "events_partitioned" FOR VALUES FROM (%L) TO (%L)',
      'events_' || to_char(m, 'YYYY_MM'),
      to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00',
      to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00'
    );
    m := m + interval '1 month';
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "events_partitioned" SELECT * FROM "events";--> statement-breakpoint
DROP TABLE "events";--> statement-breakpoint
ALTER TABLE "events_partitioned" RENAME TO "events";--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY("tenant","id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "events_tenant_seq_uidx" ON "events" USING btree ("tenant","seq","received_at");--> statement-breakpoint
CREATE INDEX "events_tenant_ts_idx" ON "events" USING btree ("tenant","ts","id");--> statement-breakpoint
CREATE INDEX "events_tenant_principal_ts_idx" ON "events" USING btree ("tenant","principal","ts");--> statement-breakpoint
CREATE INDEX "events_tenant_capability_idx" ON "events" USING btree ("tenant","capability_id");--> statement-breakpoint
CREATE INDEX "events_tenant_request_idx" ON "events" USING btree ("tenant","request");--> statement-breakpoint
CREATE INDEX "events_tenant_session_idx" ON "events" USING btree ("tenant","session");--> statement-breakpoint
CREATE INDEX "events_tenant_type_ts_idx" ON "events" USING btree ("tenant","type","ts");--> statement-breakpoint
CREATE UNIQUE INDEX "events_tenant_observed_span_uidx" ON "events" USING btree ("tenant","trace_id","span_id","received_at") WHERE "tier" = 'observed';
