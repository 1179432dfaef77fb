-- Issue 15: a Merkle tree per tenant over its events in chain order (leaf i = the event with
-- seq i+1, leaf data = the 32 bytes of its content hash; RFC 6962 hashing). Every complete perfect
-- subtree is stored once: node (level, idx) covers leaves [idx*2^level, (idx+1)*2^level). About
-- two rows per event; any proof needs O(log n) of them. Rows are only ever inserted.
CREATE TABLE "merkle_nodes" (
	"tenant" text NOT NULL,
	"level" smallint NOT NULL,
	"idx" bigint NOT NULL,
	"hash" bytea NOT NULL,
	CONSTRAINT "merkle_nodes_pkey" PRIMARY KEY("tenant","level","idx")
);
--> statement-breakpoint
-- Signed tree heads in C2SP tlog-checkpoint form; every one is kept (old ones stay verifiable
-- with the vkey of the console key that signed them, retired or not).
CREATE TABLE "tree_checkpoints" (
	"tenant" text NOT NULL,
	"size" bigint NOT NULL,
	"root" bytea NOT NULL,
	"origin" text NOT NULL,
	"note" text NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"kid" text NOT NULL,
	CONSTRAINT "tree_checkpoints_pkey" PRIMARY KEY("tenant","size")
);
--> statement-breakpoint
-- Backfill for events written before this migration (the demo seed, older consoles): leaves from
-- the content hashes, then each level from the one below, pairing node 2k with 2k+1, until a
-- level completes no node. The checkpointer signs the first tree checkpoints on its next round.
DO $$
DECLARE
	lvl integer := 0;
	made bigint;
BEGIN
	INSERT INTO "merkle_nodes" ("tenant", "level", "idx", "hash")
	SELECT e."tenant", 0, e."seq" - 1, sha256('\x00'::bytea || decode(substr(e."content_hash", 8), 'hex'))
	  FROM "events" e;
	LOOP
		INSERT INTO "merkle_nodes" ("tenant", "level", "idx", "hash")
		SELECT a."tenant", lvl + 1, a."idx" / 2, sha256('\x01'::bytea || a."hash" || b."hash")
		  FROM "merkle_nodes" a
		  JOIN "merkle_nodes" b ON b."tenant" = a."tenant" AND b."level" = lvl AND b."idx" = a."idx" + 1
		 WHERE a."level" = lvl AND a."idx" % 2 = 0;
		GET DIAGNOSTICS made = ROW_COUNT;
		EXIT WHEN made = 0;
		lvl := lvl + 1;
	END LOOP;
END $$;
