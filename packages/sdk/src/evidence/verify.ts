// The offline verifier: everything is checked from the bundle's bytes and the keys the auditor
// pins; nothing is fetched. Every failure is named: which event (position and id) and which check.
import {
  BUNDLE_FORMAT,
  type BundleEvent,
  type BundleManifest,
  BundleShapeError,
  canonicalJson,
  type EvidenceBundle,
  EXPORT_EVENT_TYPE,
  parseBundleJson,
} from "./bundle.js";
import { concatBytes, decodeUtf8, encodeUtf8, fromHex, toBase64, toHex } from "./bytes.js";
import { leafHash, sha256 } from "./crypto.js";
import { verifyConsistency, verifyInclusion } from "./merkle.js";
import {
  type Checkpoint,
  FormatError,
  openNote,
  parseCheckpointText,
  parseConsistencyProof,
  parseTlogProof,
  parseVkey,
  type VerifierKey,
} from "./note.js";

export type CheckName = "canonical" | "proof" | "signature" | "inclusion" | "consistency" | "manifest";
export type CheckState = "ok" | "failed" | "not-checked";

export interface Failure {
  /** "event 3 (0192…)", "export event", "checkpoint", "vkeys[0]", "bundle", "later checkpoint". */
  where: string;
  check: CheckName | "format" | "key";
  message: string;
}

export interface EventReport {
  /** Position in the bundle's events list (0-based); -1 for the export event. */
  position: number;
  id: string | null;
  /** Leaf index in the tenant's tree (the chain seq is index + 1). */
  leafIndex: number | null;
  /** "sha256:<hex>" of the canonical text, when it could be read. */
  contentHash: string | null;
  checks: Record<"canonical" | "signature" | "inclusion" | "consistency", CheckState>;
  /**
   * An erasable event (canonical "v":2): its committed fields opened by the bundle's disclosures
   * (checked against the commitments), and those not opened (erased, or left out by whoever
   * passed the bundle on: a verifier cannot tell which).
   */
  disclosed: Record<string, unknown>;
  withheld: string[];
  /**
   * Who the event names, as its checked canonical text says (in clear for version 1, from the
   * disclosure for version 2); null when withheld, absent, or the text could not be read.
   */
  principal: string | null;
  ok: boolean;
  failures: Failure[];
}

export interface BundleReport {
  /** Everything verified AND the checkpoint is signed by a pinned key. */
  ok: boolean;
  verdict: "genuine" | "self-signed" | "failed";
  manifest: BundleManifest | null;
  trust: {
    pinned: boolean;
    /** The keys that signed the checkpoint (name+id), from the trusted set. */
    signedBy: string[];
  };
  checkpoint: { origin: string; size: number; root: string } | null;
  consistency: { checked: false } | { checked: true; ok: boolean; laterSize: number | null };
  eventCount: number;
  events: EventReport[];
  exportEvent: EventReport | null;
  /** Every failure, bundle-level and per event, in order. */
  failures: Failure[];
  summary: string;
}

export interface VerifyOptions {
  /** Pinned vkeys (obtained out of band). Without any, the bundle's own keys are used: self-signed. */
  trustedKeys?: readonly string[];
  /** A later signed checkpoint and the consistency proof from the bundle's checkpoint to it. */
  later?: { checkpoint: string; consistencyProof: Uint8Array };
  /** Called every few events; a returned promise is awaited (a page yields to paint). */
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

const placeOf = (position: number, id: string | null) =>
  position < 0 ? `export event${id ? ` ${id}` : ""}` : `event ${position}${id ? ` (${id})` : ""}`;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

function emptyReport(failures: Failure[]): BundleReport {
  return {
    ok: false,
    verdict: "failed",
    manifest: null,
    trust: { pinned: false, signedBy: [] },
    checkpoint: null,
    consistency: { checked: false },
    eventCount: 0,
    events: [],
    exportEvent: null,
    failures,
    summary: `NOT VERIFIED: ${failures.map((f) => `${f.where}: ${f.message}`).join("; ")}`,
  };
}

/** Parses the pinned keys; a key that does not parse is the caller's mistake (UsageError). */
export async function parseTrustedKeys(keys: readonly string[]): Promise<VerifierKey[]> {
  const out: VerifierKey[] = [];
  for (const k of keys) {
    try {
      out.push(await parseVkey(k.trim()));
    } catch (err) {
      throw new UsageError(`--key ${JSON.stringify(k.slice(0, 60))}: ${messageOf(err)}`);
    }
  }
  return out;
}

interface CheckedCheckpoint {
  checkpoint: Checkpoint | null;
  signedBy: VerifierKey[];
  signatureOk: boolean;
}

async function checkCheckpoint(
  note: string,
  trusted: readonly VerifierKey[],
  where: string,
  failures: Failure[],
): Promise<CheckedCheckpoint> {
  let checkpoint: Checkpoint | null = null;
  let signedBy: VerifierKey[] = [];
  let signatureOk = false;
  try {
    const opened = await openNote(note, trusted);
    signedBy = opened.signedBy;
    signatureOk = true;
  } catch (err) {
    failures.push({ where, check: "signature", message: messageOf(err) });
  }
  // The checkpoint body is read even when the signature fails, so the proofs still get checked.
  const split = note.lastIndexOf("\n\n");
  try {
    checkpoint = parseCheckpointText(split < 0 ? note : note.slice(0, split + 1));
  } catch (err) {
    failures.push({ where, check: "format", message: messageOf(err) });
  }
  if (checkpoint && signatureOk) {
    const stranger = signedBy.find((k) => k.name !== checkpoint?.origin);
    if (stranger) {
      signatureOk = false;
      failures.push({
        where,
        check: "signature",
        message: `signed by ${stranger.name}, whose name is not the checkpoint's origin ${checkpoint.origin}`,
      });
    }
  }
  return { checkpoint, signedBy, signatureOk };
}

interface EventContext {
  bundle: EvidenceBundle;
  checkpoint: Checkpoint | null;
  signatureOk: boolean;
  consistency: CheckState;
  seenIndices: Map<number, number>;
}

const COMMITTED = ["principal", "meta"] as const;

/**
 * An erasable event's canonical text holds "sha256:<hex>" commitments for principal and meta;
 * each disclosure must open its commitment. Throws (a canonical failure) when one does not, or
 * when a v1 event carries disclosures.
 */
function openDisclosures(
  content: Record<string, unknown>,
  event: BundleEvent,
  disclosed: Record<string, unknown>,
  withheld: string[],
) {
  const given = event.disclosures ?? {};
  if (content.v !== 2) {
    if (Object.keys(given).length > 0) throw new Error("is not an erasable event, yet carries disclosures");
    return;
  }
  for (const field of COMMITTED) {
    const d = given[field];
    if (!d) {
      withheld.push(field);
      continue;
    }
    const salt = fromHex(d.salt);
    if (!salt) throw new Error(`has a disclosure of ${field} whose salt is not hex`);
    const opened = `sha256:${toHex(sha256(concatBytes(salt, encodeUtf8(canonicalJson(d.value ?? null)))))}`;
    if (opened !== content[field])
      throw new Error(`does not commit to the disclosed ${field} (the disclosure was altered)`);
    disclosed[field] = d.value;
  }
}

async function checkEvent(
  event: BundleEvent,
  position: number,
  ctx: EventContext,
): Promise<{
  report: EventReport;
  content: Record<string, unknown> | null;
  leafData: Uint8Array | null;
}> {
  const failures: Failure[] = [];
  let id: string | null = null;
  let content: Record<string, unknown> | null = null;
  const checks: EventReport["checks"] = {
    canonical: "not-checked",
    signature: ctx.signatureOk ? "ok" : "failed",
    inclusion: "not-checked",
    consistency: ctx.consistency,
  };
  const fail = (check: Failure["check"], message: string) =>
    failures.push({ where: placeOf(position, id), check, message });
  const disclosed: Record<string, unknown> = {};
  const withheld: string[] = [];
  let principal: string | null = null;

  // 1. The canonical text: JSON, in canonical form, an event of the bundle's tenant.
  try {
    const parsed = JSON.parse(event.canonical) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("is not a JSON object");
    content = parsed as Record<string, unknown>;
    if (typeof content.id === "string") id = content.id;
    if (canonicalJson(content) !== event.canonical)
      throw new Error("is not in canonical form (sorted keys, no whitespace)");
    if (typeof content.id !== "string" || content.id === "") throw new Error("has no id");
    if (content.tenant !== ctx.bundle.manifest.tenant)
      throw new Error(
        `belongs to tenant ${JSON.stringify(content.tenant)}, not the manifest's ${ctx.bundle.manifest.tenant}`,
      );
    openDisclosures(content, event, disclosed, withheld);
    const named = content.v === 2 ? disclosed.principal : content.principal;
    if (typeof named === "string") principal = named;
    checks.canonical = "ok";
  } catch (err) {
    checks.canonical = "failed";
    fail(
      "canonical",
      `canonical text ${messageOf(err).replace(/^Unexpected/, "does not parse: unexpected")}`,
    );
  }
  const leafData = sha256(encodeUtf8(event.canonical));
  const contentHash = `sha256:${toHex(leafData)}`;
  if (!ctx.signatureOk)
    fail("signature", "the checkpoint this event is proved against is not signed by a trusted key");

  // 2. The proof: a tlog-proof against the bundle's own checkpoint, then RFC 9162 inclusion.
  let leafIndex: number | null = null;
  try {
    const proof = parseTlogProof(event.proof);
    leafIndex = proof.index;
    if (proof.signedCheckpoint !== ctx.bundle.checkpoint)
      throw new FormatError("the checkpoint inside the proof differs from the bundle's checkpoint");
    if (!ctx.checkpoint) throw new FormatError("the bundle's checkpoint could not be read");
    const earlier = ctx.seenIndices.get(proof.index);
    if (earlier !== undefined)
      throw new FormatError(`leaf index ${proof.index} is also claimed by ${placeOf(earlier, null)}`);
    ctx.seenIndices.set(proof.index, position);
    const ok = verifyInclusion({
      index: proof.index,
      size: ctx.checkpoint.size,
      leaf: leafHash(leafData),
      proof: proof.proof,
      root: ctx.checkpoint.root,
    });
    if (!ok)
      throw new FormatError(
        `the event (content ${contentHash.slice(0, 19)}…) is not leaf ${proof.index} of the checkpoint's tree of size ${ctx.checkpoint.size}`,
      );
    checks.inclusion = "ok";
  } catch (err) {
    checks.inclusion = "failed";
    fail("inclusion", messageOf(err));
  }
  if (ctx.consistency === "failed")
    fail("consistency", "the later checkpoint does not extend this bundle's checkpoint");
  const ok = failures.length === 0 && checks.consistency !== "failed";
  return {
    report: { position, id, leafIndex, contentHash, checks, disclosed, withheld, principal, ok, failures },
    content,
    leafData,
  };
}

/** Checks that the manifest says exactly what the (signed, included) export event recorded. */
function checkManifest(
  manifest: BundleManifest,
  content: Record<string, unknown> | null,
  leavesDigest: string,
  failures: Failure[],
) {
  const fail = (message: string) => failures.push({ where: "manifest", check: "manifest", message });
  if (!content) return fail("the export event could not be read, so the manifest is unproven");
  const meta = (content.meta ?? {}) as Record<string, unknown>;
  if (content.type !== EXPORT_EVENT_TYPE)
    fail(`the export event's type is ${String(content.type)}, not ${EXPORT_EVENT_TYPE}`);
  const expected: Record<string, unknown> = {
    tenant: content.tenant,
    exportedBy: meta.exportedBy,
    exportedAt: content.ts,
    source: meta.source,
    eventCount: meta.eventCount,
    leavesDigest: meta.leavesDigest,
    exportEventId: content.id,
  };
  for (const [field, value] of Object.entries(expected)) {
    const stated = (manifest as unknown as Record<string, unknown>)[field];
    if (canonicalJson(stated) !== canonicalJson(value))
      fail(
        `manifest.${field} is ${canonicalJson(stated)}, but the export event recorded ${canonicalJson(value)}`,
      );
  }
  if (leavesDigest !== meta.leavesDigest)
    fail(
      "the bundle's events are not the ones exported (their content hashes do not match the export event's digest)",
    );
}

/**
 * Verifies an evidence bundle from its bytes. Throws UsageError only for a pinned key that does
 * not parse; every problem with the bundle itself is a named failure in the report.
 */
export async function verifyBundle(bytes: Uint8Array, options: VerifyOptions = {}): Promise<BundleReport> {
  const pinned = await parseTrustedKeys(options.trustedKeys ?? []);
  let bundle: EvidenceBundle;
  try {
    const json = JSON.parse(decodeUtf8(bytes)) as unknown;
    bundle = parseBundleJson(json);
  } catch (err) {
    const message =
      err instanceof BundleShapeError
        ? err.message
        : err instanceof TypeError
          ? "the file is not UTF-8 text"
          : `the file is not JSON (${messageOf(err)})`;
    return emptyReport([
      { where: "bundle", check: "format", message: `not a ${BUNDLE_FORMAT} file: ${message}` },
    ]);
  }
  const failures: Failure[] = [];

  // Keys: every key in the bundle must parse; the trusted set is the pinned keys if any.
  const bundleKeys: VerifierKey[] = [];
  for (const [i, text] of bundle.vkeys.entries()) {
    try {
      bundleKeys.push(await parseVkey(text));
    } catch (err) {
      failures.push({ where: `vkeys[${i}]`, check: "key", message: messageOf(err) });
    }
  }
  const trusted = pinned.length ? pinned : bundleKeys;
  const cp = await checkCheckpoint(bundle.checkpoint, trusted, "checkpoint", failures);
  // The console percent-encodes a tenant name a note's key name could not hold (lib/merkle/sign.ts).
  const tenant = bundle.manifest.tenant;
  if (
    cp.checkpoint &&
    !cp.checkpoint.origin.endsWith(`/${tenant}`) &&
    !cp.checkpoint.origin.endsWith(`/${encodeURIComponent(tenant)}`)
  )
    failures.push({
      where: "checkpoint",
      check: "format",
      message: `its origin ${cp.checkpoint.origin} is not a log of tenant ${bundle.manifest.tenant}`,
    });
  if (pinned.length && cp.signatureOk) {
    const missing = cp.signedBy.filter((k) => !bundle.vkeys.includes(k.vkey));
    if (missing.length)
      failures.push({
        where: "vkeys",
        check: "key",
        message: `the bundle does not list the signing key ${missing[0]?.name}+${missing[0]?.id}`,
      });
  }

  // Consistency with a later checkpoint, when given.
  let consistency: BundleReport["consistency"] = { checked: false };
  let consistencyState: CheckState = "not-checked";
  if (options.later) {
    const laterFailures: Failure[] = [];
    const later = await checkCheckpoint(options.later.checkpoint, trusted, "later checkpoint", laterFailures);
    let ok = later.signatureOk && later.checkpoint !== null && cp.checkpoint !== null;
    if (ok && later.checkpoint && cp.checkpoint) {
      try {
        const proof = parseConsistencyProof(options.later.consistencyProof);
        if (later.checkpoint.origin !== cp.checkpoint.origin)
          throw new FormatError(
            `its origin ${later.checkpoint.origin} is not the bundle's ${cp.checkpoint.origin}`,
          );
        if (later.checkpoint.size < cp.checkpoint.size)
          throw new FormatError(
            `its size ${later.checkpoint.size} is smaller than the bundle's ${cp.checkpoint.size}`,
          );
        const consistent = verifyConsistency({
          size1: cp.checkpoint.size,
          size2: later.checkpoint.size,
          proof,
          root1: cp.checkpoint.root,
          root2: later.checkpoint.root,
        });
        if (!consistent)
          throw new FormatError(
            `the consistency proof does not show that tree ${later.checkpoint.size} extends tree ${cp.checkpoint.size}`,
          );
      } catch (err) {
        ok = false;
        laterFailures.push({ where: "later checkpoint", check: "consistency", message: messageOf(err) });
      }
    }
    failures.push(...laterFailures);
    consistency = { checked: true, ok, laterSize: later.checkpoint?.size ?? null };
    consistencyState = ok ? "ok" : "failed";
  }

  const ctx: EventContext = {
    bundle,
    checkpoint: cp.checkpoint,
    signatureOk: cp.signatureOk,
    consistency: consistencyState,
    seenIndices: new Map(),
  };
  const total = bundle.events.length;
  const events: EventReport[] = [];
  const leaves: Uint8Array[] = [];
  for (const [position, event] of bundle.events.entries()) {
    const { report, leafData } = await checkEvent(event, position, ctx);
    events.push(report);
    if (leafData) leaves.push(leafData);
    if (options.onProgress && (position % 250 === 249 || position === total - 1))
      await options.onProgress(position + 1, total);
  }
  const exported = await checkEvent(bundle.exportEvent, -1, ctx);
  const leavesDigest = `sha256:${toHex(sha256(concatBytes(...leaves)))}`;
  const manifestFailures: Failure[] = [];
  if (bundle.manifest.eventCount !== total)
    manifestFailures.push({
      where: "manifest",
      check: "manifest",
      message: `manifest.eventCount is ${bundle.manifest.eventCount} but the bundle holds ${total} events`,
    });
  checkManifest(bundle.manifest, exported.content, leavesDigest, manifestFailures);

  // A failing signature or consistency is said once at the bundle level; events repeat it per row.
  const eventFailures = [...events, exported.report]
    .flatMap((e) => e.failures)
    .filter((f) => f.check !== "signature" && f.check !== "consistency");
  const all = [...failures, ...eventFailures, ...manifestFailures];
  const allOk = all.length === 0;
  const verdict = !allOk ? "failed" : pinned.length ? "genuine" : "self-signed";
  const signedBy = cp.signedBy.map((k) => `${k.name}+${k.id}`);
  const report: BundleReport = {
    ok: verdict === "genuine",
    verdict,
    manifest: bundle.manifest,
    trust: { pinned: pinned.length > 0, signedBy },
    checkpoint: cp.checkpoint
      ? { origin: cp.checkpoint.origin, size: cp.checkpoint.size, root: toBase64(cp.checkpoint.root) }
      : null,
    consistency,
    eventCount: total,
    events,
    exportEvent: exported.report,
    failures: all,
    summary: "",
  };
  report.summary = summarize(report);
  return report;
}

export function summarize(r: BundleReport): string {
  const cp = r.checkpoint;
  const signer = r.trust.signedBy.join(", ") || "no trusted key";
  const later =
    r.consistency.checked && r.consistency.ok
      ? `; consistent with the later checkpoint of size ${r.consistency.laterSize}`
      : "";
  // Fields of an erased subject are proven by their commitments but cannot be read: say so, so
  // nobody mistakes a blank principal for an event without one.
  const erased = r.events.filter((e) => e.withheld.length > 0).length;
  const withheld = erased
    ? `; ${erased} event${erased === 1 ? "" : "s"} with fields withheld (proven by commitment, not readable: the subject was erased, or whoever passed the bundle on left them out)`
    : "";
  if (r.verdict === "genuine")
    return `${r.eventCount} events, all genuine: checkpoint size ${cp?.size} signed by ${signer} (pinned), at or after ${r.manifest?.exportedAt}${later}${withheld}`;
  if (r.verdict === "self-signed")
    return `${r.eventCount} events consistent with checkpoint size ${cp?.size} signed by ${signer}, a key taken from the bundle itself: self-signed: pin the console's key with --key${withheld}`;
  const failedEvents = r.events.filter((e) => !e.ok).length + (r.exportEvent && !r.exportEvent.ok ? 1 : 0);
  const first = r.failures[0];
  return `NOT VERIFIED: ${r.failures.length} problem(s), ${failedEvents} of ${r.eventCount + 1} events failing; first: ${first ? `${first.where}: ${first.check}: ${first.message}` : "unknown"}`;
}
