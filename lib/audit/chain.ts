import { createHash } from "node:crypto";
import { canonicalJson } from "@capability-console/sdk";
import type { NewEvent } from "@/db/schema";
import { CONTENT_VERSION_ERASABLE, ContentUnverifiable, commitmentsOf, type SubjectKeys } from "./subjects";

export const GENESIS_HASH = `sha256:${"0".repeat(64)}`;

/** The stored columns an event's content hash covers; the chain columns themselves excluded. */
export type ChainedContent = Omit<NewEvent, "seq" | "prevHash" | "hash" | "contentHash" | "receivedAt">;

export type { SubjectKeys };

// JSON with sorted keys and no whitespace, so a row read back from the database hashes the
// same as the row written (jsonb reorders keys; timestamps come back as Date). One definition,
// in the package, since platforms compute input digests with it too.
export { canonicalJson };

const sha256 = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

const CONTENT_KEYS = [
  "id",
  "ts",
  "tenant",
  "type",
  "principal",
  "agent",
  "session",
  "request",
  "traceId",
  "spanId",
  "tool",
  "action",
  "resourceType",
  "resourceId",
  "fields",
  "outcome",
  "reason",
  "capabilityId",
  "capabilityHash",
  "inputDigest",
  "latencyMs",
  "cost",
  "meta",
] as const satisfies readonly (keyof ChainedContent)[];

/**
 * The exact text an event's content hash covers (evidence bundles carry it verbatim). An
 * erasable event (content version 2, lib/audit/subjects.ts) needs its subject's key, unless it
 * is erased: without either this throws SubjectKeyMissing.
 */
export function canonicalContent(event: ChainedContent, keys?: SubjectKeys): string {
  return canonicalWith(event, () => commitmentsOf(event, keys));
}

/**
 * The content hash of an erasable event whose commitments were opened elsewhere (an archive's
 * salts over the row's values): the values are not checked against a key here.
 */
export function contentHashOpened(event: ChainedContent, commitments: Record<string, string>): string {
  if (event.contentVersion !== CONTENT_VERSION_ERASABLE || event.erased)
    throw new ContentUnverifiable("salts are given for an event that is not erasable, or already erased");
  return sha256(canonicalWith(event, () => commitments));
}

function canonicalWith(event: ChainedContent, commitments: () => Record<string, string>): string {
  const picked: Record<string, unknown> = {};
  for (const key of CONTENT_KEYS) picked[key] = event[key] ?? null;
  if (picked.meta === null) picked.meta = {};
  const version = event.contentVersion ?? 1;
  if (version === CONTENT_VERSION_ERASABLE) {
    Object.assign(picked, commitments());
    picked.v = CONTENT_VERSION_ERASABLE;
  } else if (version !== 1) throw new ContentUnverifiable(`unknown content version ${version}`);
  // The tier is covered only when it is "observed" (issue 13): every attested event, including
  // each one stored before the tier existed, keeps the exact hash it had, and an observed event
  // cannot be relabelled attested (or back) without breaking its content hash.
  if (event.tier === "observed") picked.tier = "observed";
  return canonicalJson(picked);
}

export function contentHash(event: ChainedContent, keys?: SubjectKeys): string {
  return sha256(canonicalContent(event, keys));
}

export function chainHash(args: {
  tenant: string;
  seq: number;
  prevHash: string;
  contentHash: string;
}): string {
  return sha256(`${args.tenant}\n${args.seq}\n${args.prevHash}\n${args.contentHash}`);
}
