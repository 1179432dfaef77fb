CREATE TYPE "public"."escalation_delivery" AS ENUM('console', 'platform');--> statement-breakpoint
ALTER TABLE "escalations" ADD COLUMN "delivery" "escalation_delivery" DEFAULT 'console' NOT NULL;--> statement-breakpoint
ALTER TABLE "escalations" ADD COLUMN "delivered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "escalations" ADD COLUMN "revoked_by" text;--> statement-breakpoint
ALTER TABLE "escalations" ADD COLUMN "revoke_reason" text;