-- Issue 17 point 4: the Overview's "Capabilities seen" was a count(*) over every capability in
-- view (hundreds of milliseconds at ten million events). Each tenant's count is kept here by the
-- writers of capabilities, in the same transaction (lib/ingest/capability-counts.ts), and read
-- with one row per tenant.
CREATE TABLE "capability_counts" (
	"tenant" text PRIMARY KEY NOT NULL,
	"n" bigint NOT NULL
);--> statement-breakpoint
INSERT INTO "capability_counts" ("tenant", "n")
SELECT "tenant", count(*) FROM "capabilities" GROUP BY "tenant";
