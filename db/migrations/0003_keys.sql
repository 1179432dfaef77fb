-- Issue 11: tenant first in every key of a tenant-owned table. Ids were globally unique until
-- now, so every existing row keeps its id and the new (tenant, id) keys hold at once; no row is
-- rewritten except sessions that an agent platform (not the console) marked revoked.
ALTER TABLE "events" DROP CONSTRAINT "events_pkey";--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY("tenant","id");--> statement-breakpoint
DROP INDEX "events_capability_idx";--> statement-breakpoint
CREATE INDEX "events_tenant_capability_idx" ON "events" USING btree ("tenant","capability_id");--> statement-breakpoint
ALTER TABLE "capabilities" DROP CONSTRAINT "capabilities_pkey";--> statement-breakpoint
ALTER TABLE "capabilities" ADD CONSTRAINT "capabilities_pkey" PRIMARY KEY("tenant","id");--> statement-breakpoint
DROP INDEX "capabilities_parent_idx";--> statement-breakpoint
DROP INDEX "capabilities_root_idx";--> statement-breakpoint
CREATE INDEX "capabilities_tenant_parent_idx" ON "capabilities" USING btree ("tenant","parent_id");--> statement-breakpoint
CREATE INDEX "capabilities_tenant_root_idx" ON "capabilities" USING btree ("tenant","root_id");--> statement-breakpoint
ALTER TABLE "sessions" DROP CONSTRAINT "sessions_pkey";--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_pkey" PRIMARY KEY("tenant","id");--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "reported_revoked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "reported_by" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "reported_reason" text;--> statement-breakpoint
-- A session marked revoked with no console revocation behind it (no session or principal entry in
-- the feed) was a platform's report: it becomes one, so the console can still revoke the session.
-- Which ingest key sent it was not recorded, hence "unknown"; the claimed actor is dropped.
UPDATE "sessions" s
   SET "reported_revoked_at" = s."revoked_at",
       "reported_by" = 'unknown (reported before the upgrade)',
       "reported_reason" = s."revoke_reason",
       "revoked_at" = NULL,
       "revoked_by" = NULL,
       "revoke_reason" = NULL
 WHERE s."revoked_at" IS NOT NULL
   AND NOT EXISTS (
     SELECT 1 FROM "revocations" r
      WHERE r."tenant" = s."tenant"
        AND ((r."kind" = 'session' AND r."target" = s."id")
          OR (r."kind" = 'principal' AND r."target" = s."principal"))
   );--> statement-breakpoint
-- Feed cursors become per tenant. Existing entries keep their numbers (still increasing within
-- each tenant), so a verifier's saved cursor means what it meant; new entries take the tenant's
-- highest cursor plus one.
ALTER TABLE "revocations" DROP CONSTRAINT "revocations_cursor_unique";--> statement-breakpoint
ALTER TABLE "revocations" ALTER COLUMN "cursor" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "revocations" ALTER COLUMN "cursor" SET DATA TYPE bigint;--> statement-breakpoint
DROP SEQUENCE IF EXISTS "revocations_cursor_seq";--> statement-breakpoint
DROP INDEX "revocations_tenant_cursor_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "revocations_tenant_cursor_uidx" ON "revocations" USING btree ("tenant","cursor");--> statement-breakpoint
ALTER TABLE "revocations" DROP CONSTRAINT "revocations_pkey";--> statement-breakpoint
ALTER TABLE "revocations" ADD CONSTRAINT "revocations_pkey" PRIMARY KEY("tenant","id");--> statement-breakpoint
ALTER TABLE "escalations" DROP CONSTRAINT "escalations_pkey";--> statement-breakpoint
ALTER TABLE "escalations" ADD CONSTRAINT "escalations_pkey" PRIMARY KEY("tenant","id");--> statement-breakpoint
ALTER TABLE "api_keys" DROP CONSTRAINT "api_keys_pkey";--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_pkey" PRIMARY KEY("tenant","id");--> statement-breakpoint
DROP INDEX "api_keys_tenant_idx";
