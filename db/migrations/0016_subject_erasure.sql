-- Issue 17 point 2: erasing a person's data inside retention without breaking verification.
-- Events of content version 2 (lib/audit/subjects.ts) hash a salted commitment of their
-- principal and meta instead of the clear values; each salt is derived from the subject's key
-- here. Erasure destroys the key and keeps, in "erased", the commitments the content hash needs.
-- Version 1 (every event stored before this migration) hashes the clear values, as before.
CREATE TABLE "subject_keys" (
	"tenant" text NOT NULL,
	"subject" text NOT NULL,
	"key" bytea NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subject_keys_pkey" PRIMARY KEY("tenant","subject")
);--> statement-breakpoint
-- Constant defaults: no rewrite of the partitions, however many rows they hold.
ALTER TABLE "events" ADD COLUMN "content_version" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "erased" jsonb;
