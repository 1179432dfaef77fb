-- Issue 17 point 4: the Overview reads rollups kept at ingest instead of aggregating 7 days of
-- events per page view. Written by appendEvents in the transaction that appends the events
-- (lib/audit/rollups.ts), under the tenant's chain-head lock; trimmed by retention cuts.
-- Daily: tool calls by UTC day of ts, outcome, principal, agent, and reason (denied calls only).
-- Hourly: every event by UTC hour of ts and outcome (the 24-hour counts).
CREATE TABLE "event_rollups_daily" (
	"tenant" text NOT NULL,
	"day" date NOT NULL,
	"outcome" "event_outcome" NOT NULL,
	"principal" text,
	"agent" text,
	"reason" text,
	"n" bigint NOT NULL,
	CONSTRAINT "event_rollups_daily_key" UNIQUE NULLS NOT DISTINCT("tenant","day","outcome","principal","agent","reason")
);--> statement-breakpoint
CREATE TABLE "event_rollups_hourly" (
	"tenant" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"outcome" "event_outcome" NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "event_rollups_hourly_pkey" PRIMARY KEY("tenant","hour","outcome")
);--> statement-breakpoint
INSERT INTO "event_rollups_daily" ("tenant", "day", "outcome", "principal", "agent", "reason", "n")
SELECT "tenant", ("ts" AT TIME ZONE 'UTC')::date, "outcome", "principal", "agent",
       CASE WHEN "outcome" = 'denied' THEN "reason" END, count(*)
  FROM "events" WHERE "type" = 'tool.call' GROUP BY 1, 2, 3, 4, 5, 6;--> statement-breakpoint
INSERT INTO "event_rollups_hourly" ("tenant", "hour", "outcome", "n")
SELECT "tenant", date_trunc('hour', "ts" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "outcome", count(*)
  FROM "events" GROUP BY 1, 2, 3;
