-- Issue 14: the MCP capability gateway's console side. Clients are the credentials agents present
-- to the gateway (gwc_…, kept as their sha256 only); rules are the tenant's allow rules for
-- tools; escalation requests are refused calls the gateway asks an admin to grant.
CREATE TABLE "gateway_clients" (
	"tenant" text NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"principal" text NOT NULL,
	"agent" text NOT NULL,
	"groups" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"credential_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	CONSTRAINT "gateway_clients_pkey" PRIMARY KEY("tenant","id"),
	CONSTRAINT "gateway_clients_credential_hash_unique" UNIQUE("credential_hash")
);
--> statement-breakpoint
CREATE TABLE "gateway_rules" (
	"tenant" text NOT NULL,
	"id" uuid NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_value" text,
	"tool" text NOT NULL,
	"arguments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone,
	CONSTRAINT "gateway_rules_pkey" PRIMARY KEY("tenant","id"),
	CONSTRAINT "gateway_rules_subject_check" CHECK (("subject_kind" = 'any' AND "subject_value" IS NULL) OR ("subject_kind" IN ('agent', 'group', 'principal') AND "subject_value" IS NOT NULL))
);
--> statement-breakpoint
-- operation_key: sha256 of the operation's canonical form, so "the open request for this session
-- and operation" is one unique index (a second refusal of the same call returns the same request).
CREATE TABLE "gateway_escalation_requests" (
	"tenant" text NOT NULL,
	"id" uuid NOT NULL,
	"client_id" uuid NOT NULL,
	"principal" text NOT NULL,
	"agent" text NOT NULL,
	"session" text NOT NULL,
	"operation" jsonb NOT NULL,
	"operation_key" text NOT NULL,
	"missing" text NOT NULL,
	"denied_event" text NOT NULL,
	"status" text DEFAULT 'requested' NOT NULL,
	"escalation_id" uuid,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	CONSTRAINT "gateway_escalation_requests_pkey" PRIMARY KEY("tenant","id"),
	CONSTRAINT "gateway_escalation_requests_status_check" CHECK ("status" IN ('requested', 'granted', 'dismissed', 'expired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "gateway_escalation_requests_open_uidx" ON "gateway_escalation_requests" USING btree ("tenant","session","operation_key") WHERE "status" = 'requested';--> statement-breakpoint
CREATE INDEX "gateway_escalation_requests_denied_event_idx" ON "gateway_escalation_requests" USING btree ("tenant","denied_event");--> statement-breakpoint
CREATE INDEX "gateway_escalation_requests_status_idx" ON "gateway_escalation_requests" USING btree ("tenant","status","requested_at");
