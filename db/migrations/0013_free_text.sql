-- Issue 17 point 4: free text in the explorer is served by a trigram index instead of scanning
-- every row of the tenants in view. One GIN index over the searched columns joined by newlines
-- (lib/query/text-index.ts writes the same expression; the planner matches it); the query keeps
-- each column's own ILIKE as the exact test, so a match spanning two columns never counts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "events_text_trgm" ON "events" USING gin ((coalesce("tool", '') || E'\n' || coalesce("principal", '') || E'\n' || coalesce("agent", '') || E'\n' || coalesce("resource_id", '') || E'\n' || coalesce("reason", '')) gin_trgm_ops);
