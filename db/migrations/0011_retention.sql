-- Issue 17 point 2: retention cuts. Each row says tenant T's chain below and at `seq` was archived
-- (`archive`, its sha256) and deleted; verification of T starts from this anchor: the chain hash
-- at seq, which a signed checkpoint at seq states, and the tree of size seq (a signed tree
-- checkpoint). Retention days live in tenants.settings (retentionDays), set by the tenant's admin.
CREATE TABLE "retention_cuts" (
	"tenant" text NOT NULL,
	"seq" bigint NOT NULL,
	"from_seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"tree_root" "bytea" NOT NULL,
	"before" timestamp with time zone NOT NULL,
	"events" integer NOT NULL,
	"archive" text NOT NULL,
	"archive_sha256" text NOT NULL,
	"cut_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "retention_cuts_pkey" PRIMARY KEY("tenant","seq")
);
