CREATE TYPE "public"."capability_kind" AS ENUM('minted', 'attenuated', 'escalation');--> statement-breakpoint
CREATE TYPE "public"."escalation_status" AS ENUM('pending', 'active', 'used', 'expired', 'revoked', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."issuer_status" AS ENUM('active', 'retired');--> statement-breakpoint
CREATE TYPE "public"."event_outcome" AS ENUM('allowed', 'denied', 'error');--> statement-breakpoint
CREATE TYPE "public"."revocation_kind" AS ENUM('session', 'capability', 'principal', 'escalation');--> statement-breakpoint
CREATE TYPE "public"."console_role" AS ENUM('viewer', 'investigator', 'admin');--> statement-breakpoint
CREATE TABLE "accounts" (
	"user_id" uuid NOT NULL,
	"type" text NOT NULL,
	"provider" text NOT NULL,
	"provider_account_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_provider_provider_account_id_pk" PRIMARY KEY("provider","provider_account_id")
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant" text NOT NULL,
	"source" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "capabilities" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"token_hash" text NOT NULL,
	"parent_id" text,
	"root_id" text NOT NULL,
	"ancestors" text[] DEFAULT '{}'::text[] NOT NULL,
	"depth" integer DEFAULT 0 NOT NULL,
	"issuer_kid" text,
	"principal" text,
	"agent" text,
	"session" text,
	"request" text,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"kind" "capability_kind" NOT NULL,
	"issued_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chain_heads" (
	"tenant" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"auth_time" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"ip" text,
	"user_agent" text
);
--> statement-breakpoint
CREATE TABLE "console_users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"password_hash" text,
	"role" "console_role" NOT NULL,
	"tenants" text[] NOT NULL,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_login_at" timestamp with time zone,
	CONSTRAINT "console_users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "escalations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant" text NOT NULL,
	"requested_by" text NOT NULL,
	"granted_by" text,
	"principal" text NOT NULL,
	"session" text,
	"agent" text,
	"operation" jsonb NOT NULL,
	"ttl_seconds" integer NOT NULL,
	"reason" text NOT NULL,
	"single_use" boolean DEFAULT true NOT NULL,
	"status" "escalation_status" DEFAULT 'pending' NOT NULL,
	"token_hash" text,
	"capability_id" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"issued_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"used_at" timestamp with time zone,
	"use_count" integer DEFAULT 0 NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"tenant" text NOT NULL,
	"type" text NOT NULL,
	"principal" text,
	"agent" text,
	"session" text,
	"request" text,
	"trace_id" text,
	"span_id" text,
	"tool" text,
	"action" text,
	"resource_type" text,
	"resource_id" text,
	"fields" text[],
	"outcome" "event_outcome" NOT NULL,
	"reason" text,
	"capability_id" text,
	"capability_hash" text,
	"input_digest" text,
	"latency_ms" integer,
	"cost" double precision,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"seq" bigint NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issuers" (
	"kid" text PRIMARY KEY NOT NULL,
	"tenant" text,
	"algorithm" text DEFAULT 'ed25519' NOT NULL,
	"public_key" text NOT NULL,
	"status" "issuer_status" DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone,
	"verifies_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "login_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"ip" text NOT NULL,
	"ok" boolean NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "revocations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cursor" bigserial NOT NULL,
	"tenant" text NOT NULL,
	"kind" "revocation_kind" NOT NULL,
	"target" text NOT NULL,
	"reason" text NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	CONSTRAINT "revocations_cursor_unique" UNIQUE("cursor")
);
--> statement-breakpoint
CREATE TABLE "saved_queries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"query" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"principal" text NOT NULL,
	"agent" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"revoke_reason" text
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "verification_tokens" (
	"identifier" text NOT NULL,
	"token" text NOT NULL,
	"expires" timestamp with time zone NOT NULL,
	CONSTRAINT "verification_tokens_identifier_token_pk" PRIMARY KEY("identifier","token")
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_user_id_console_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."console_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_user_id_console_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."console_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_queries" ADD CONSTRAINT "saved_queries_user_id_console_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."console_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant");--> statement-breakpoint
CREATE INDEX "capabilities_tenant_issued_idx" ON "capabilities" USING btree ("tenant","issued_at");--> statement-breakpoint
CREATE INDEX "capabilities_parent_idx" ON "capabilities" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "capabilities_root_idx" ON "capabilities" USING btree ("root_id");--> statement-breakpoint
CREATE INDEX "capabilities_tenant_request_idx" ON "capabilities" USING btree ("tenant","request");--> statement-breakpoint
CREATE INDEX "capabilities_tenant_session_idx" ON "capabilities" USING btree ("tenant","session");--> statement-breakpoint
CREATE INDEX "capabilities_tenant_principal_idx" ON "capabilities" USING btree ("tenant","principal","issued_at");--> statement-breakpoint
CREATE INDEX "capabilities_ancestors_gin" ON "capabilities" USING gin ("ancestors");--> statement-breakpoint
CREATE INDEX "capabilities_summary_gin" ON "capabilities" USING gin ("summary" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "console_sessions_user_idx" ON "console_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "escalations_tenant_status_idx" ON "escalations" USING btree ("tenant","status");--> statement-breakpoint
CREATE INDEX "escalations_tenant_session_idx" ON "escalations" USING btree ("tenant","session");--> statement-breakpoint
CREATE UNIQUE INDEX "events_tenant_seq_uidx" ON "events" USING btree ("tenant","seq");--> statement-breakpoint
CREATE INDEX "events_tenant_ts_idx" ON "events" USING btree ("tenant","ts","id");--> statement-breakpoint
CREATE INDEX "events_tenant_principal_ts_idx" ON "events" USING btree ("tenant","principal","ts");--> statement-breakpoint
CREATE INDEX "events_capability_idx" ON "events" USING btree ("capability_id");--> statement-breakpoint
CREATE INDEX "events_tenant_request_idx" ON "events" USING btree ("tenant","request");--> statement-breakpoint
CREATE INDEX "events_tenant_session_idx" ON "events" USING btree ("tenant","session");--> statement-breakpoint
CREATE INDEX "events_tenant_type_ts_idx" ON "events" USING btree ("tenant","type","ts");--> statement-breakpoint
CREATE INDEX "login_attempts_email_at_idx" ON "login_attempts" USING btree ("email","at");--> statement-breakpoint
CREATE INDEX "login_attempts_ip_at_idx" ON "login_attempts" USING btree ("ip","at");--> statement-breakpoint
CREATE INDEX "revocations_tenant_cursor_idx" ON "revocations" USING btree ("tenant","cursor");--> statement-breakpoint
CREATE INDEX "saved_queries_user_idx" ON "saved_queries" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sessions_tenant_principal_idx" ON "sessions" USING btree ("tenant","principal");