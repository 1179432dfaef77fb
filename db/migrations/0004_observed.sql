-- Issue 13: two tiers of events. `attested` (sent by a capability-enforcing platform through
-- POST /api/v1/events, the only tier until now, so every existing row is attested) and
-- `observed` (read from OpenTelemetry traces by POST /api/v1/otlp/v1/traces). An observed event
-- is stored once per (tenant, trace id, span id): the partial unique index is what makes an
-- exporter's retry, or two identical exports racing, land once.
CREATE TYPE "public"."event_tier" AS ENUM('attested', 'observed');--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "tier" "event_tier" DEFAULT 'attested' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "events_tenant_observed_span_uidx" ON "events" USING btree ("tenant","trace_id","span_id") WHERE "tier" = 'observed';--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_observed_span_check" CHECK ("tier" = 'attested' OR ("trace_id" IS NOT NULL AND "span_id" IS NOT NULL));
