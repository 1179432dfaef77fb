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
