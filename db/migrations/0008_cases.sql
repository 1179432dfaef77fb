-- Issue 12: cases. An investigator's named case in one tenant, what is pinned to it (events,
-- capabilities, requests, sessions, principals of that tenant), and its history (notes included).
-- Tenant first in every key, like the other tenant-owned tables.
CREATE TABLE "case_history" (
	"tenant" text NOT NULL,
	"case_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "case_history_pkey" PRIMARY KEY("tenant","case_id","seq"),
	CONSTRAINT "case_history_action_check" CHECK ("case_history"."action" IN ('created', 'renamed', 'pinned', 'unpinned', 'note', 'verdict', 'closed', 'reopened'))
);
--> statement-breakpoint
CREATE TABLE "case_items" (
	"tenant" text NOT NULL,
	"case_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"ref" text NOT NULL,
	"pinned_by" text NOT NULL,
	"pinned_at" timestamp with time zone DEFAULT now() NOT NULL,
	"note" text,
	CONSTRAINT "case_items_pkey" PRIMARY KEY("tenant","case_id","kind","ref"),
	CONSTRAINT "case_items_kind_check" CHECK ("case_items"."kind" IN ('event', 'capability', 'request', 'session', 'principal'))
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"tenant" text NOT NULL,
	"id" uuid NOT NULL,
	"title" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"verdict" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cases_pkey" PRIMARY KEY("tenant","id"),
	CONSTRAINT "cases_status_check" CHECK ("cases"."status" IN ('open', 'closed')),
	CONSTRAINT "cases_verdict_check" CHECK ("cases"."verdict" IS NULL OR "cases"."verdict" IN ('benign', 'misuse', 'false_positive'))
);
--> statement-breakpoint
ALTER TABLE "case_history" ADD CONSTRAINT "case_history_case_fk" FOREIGN KEY ("tenant","case_id") REFERENCES "public"."cases"("tenant","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_items" ADD CONSTRAINT "case_items_case_fk" FOREIGN KEY ("tenant","case_id") REFERENCES "public"."cases"("tenant","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_items_tenant_ref_idx" ON "case_items" USING btree ("tenant","kind","ref");--> statement-breakpoint
CREATE INDEX "cases_tenant_status_idx" ON "cases" USING btree ("tenant","status","id");