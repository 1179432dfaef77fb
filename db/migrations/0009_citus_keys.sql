-- Issue 17 point 6 (Citus-ready): every key of a tenant-owned table leads with the tenant. The
-- chain checkpoints were the one table keyed by a global id alone; the id stays (a row identity,
-- nothing orders by it), the key becomes (tenant, id), so the table can be distributed by tenant.
ALTER TABLE "checkpoints" DROP CONSTRAINT "checkpoints_pkey";--> statement-breakpoint
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_pkey" PRIMARY KEY("tenant","id");
