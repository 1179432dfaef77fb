-- Issue 16: event streams to SIEMs and webhooks. One row per stream with its durable cursor (the
-- last delivered chain seq of its tenant) and a lease, so with several console instances exactly
-- one delivers a stream at a time; events that exhausted their retries go to dead letters.
CREATE TABLE "streams" (
	"tenant" text NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"format" text NOT NULL,
	"url" text NOT NULL,
	"filter" text DEFAULT '' NOT NULL,
	"allow_private" boolean DEFAULT false NOT NULL,
	"signing" text,
	"secret_enc" text NOT NULL,
	"verify_key" text,
	"status" text DEFAULT 'active' NOT NULL,
	"status_reason" text,
	"cursor" bigint DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"failing_since" timestamp with time zone,
	"next_attempt_at" timestamp with time zone,
	"last_error" text,
	"last_success_at" timestamp with time zone,
	"delivered" bigint DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "streams_pkey" PRIMARY KEY("tenant","id"),
	CONSTRAINT "streams_kind_check" CHECK ("kind" IN ('webhook', 'splunk_hec', 'jsonl')),
	CONSTRAINT "streams_format_check" CHECK ("format" IN ('ocsf', 'ecs', 'event_v1')),
	CONSTRAINT "streams_status_check" CHECK ("status" IN ('active', 'paused', 'disabled')),
	CONSTRAINT "streams_signing_check" CHECK ("signing" IS NULL OR "signing" IN ('v1a', 'v1'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "streams_tenant_name_uidx" ON "streams" USING btree ("tenant","name");--> statement-breakpoint
CREATE TABLE "stream_dead_letters" (
	"tenant" text NOT NULL,
	"stream_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"event_id" text NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text,
	"failed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"requeued_at" timestamp with time zone,
	CONSTRAINT "stream_dead_letters_pkey" PRIMARY KEY("tenant","stream_id","seq")
);
--> statement-breakpoint
-- Alerts: rules per tenant (a query plus an aggregation, JSON validated by lib/alerts/rule.ts),
-- each with the chain seq it has evaluated up to; the alerts they open; the tenant's time zone and
-- business hours that rules about "outside business hours" read.
CREATE TABLE "alert_rules" (
	"tenant" text NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"severity" text NOT NULL,
	"definition" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"cursor" bigint DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rules_pkey" PRIMARY KEY("tenant","id"),
	CONSTRAINT "alert_rules_severity_check" CHECK ("severity" IN ('low', 'medium', 'high', 'critical'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "alert_rules_tenant_name_uidx" ON "alert_rules" USING btree ("tenant","name");--> statement-breakpoint
CREATE TABLE "alerts" (
	"tenant" text NOT NULL,
	"id" text NOT NULL,
	"rule_id" text NOT NULL,
	"rule_name" text NOT NULL,
	"severity" text NOT NULL,
	"dedup_key" text NOT NULL,
	"title" text NOT NULL,
	"group" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"event_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"trigger_seq" bigint NOT NULL,
	"trigger_ts" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	"note" text,
	CONSTRAINT "alerts_pkey" PRIMARY KEY("tenant","id"),
	CONSTRAINT "alerts_status_check" CHECK ("status" IN ('open', 'acknowledged', 'suppressed', 'resolved'))
);
--> statement-breakpoint
CREATE INDEX "alerts_tenant_status_idx" ON "alerts" USING btree ("tenant","status","opened_at");--> statement-breakpoint
CREATE INDEX "alerts_rule_dedup_idx" ON "alerts" USING btree ("tenant","rule_id","dedup_key","trigger_ts");--> statement-breakpoint
CREATE TABLE "alert_settings" (
	"tenant" text PRIMARY KEY NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"business_days" integer[] DEFAULT '{1,2,3,4,5}'::integer[] NOT NULL,
	"business_start" text DEFAULT '09:00' NOT NULL,
	"business_end" text DEFAULT '18:00' NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
