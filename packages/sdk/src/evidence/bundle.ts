// The evidence bundle file (docs/evidence.md): one JSON object, format
// "capability-console/evidence-bundle@v1". Everything a verifier needs is inside it; only the
// verifier key should come from elsewhere (pinned by the auditor).

export const BUNDLE_FORMAT = "capability-console/evidence-bundle@v1";
/**
 * Version 2 adds `disclosures` to events: an erasable event's canonical text carries salted
 * commitments of its principal and meta, and the disclosure opens them (salt and value).
 * A v1 reader rejects it by its format, rather than show commitments as the values.
 */
export const BUNDLE_FORMAT_V2 = "capability-console/evidence-bundle@v2";
export type BundleFormat = typeof BUNDLE_FORMAT | typeof BUNDLE_FORMAT_V2;

/** One committed field opened: sha256(hex salt || canonical JSON of value) is its commitment. */
export interface Disclosure {
  salt: string;
  value: unknown;
}
/** The type of the audit event that records an export (its id is the manifest's exportEventId). */
export const EXPORT_EVENT_TYPE = "console.evidence.exported";

export type BundleSource =
  | { kind: "query"; query: string }
  | { kind: "request"; id: string }
  | { kind: "capability"; id: string };

export interface BundleManifest {
  /** The one tenant whose log the events belong to (the checkpoint's origin ends in "/<tenant>"). */
  tenant: string;
  exportedBy: { email: string; userId: string };
  /** ISO 8601: the export event's timestamp. */
  exportedAt: string;
  /** What was exported, and the time range the events span (null when there are none). */
  source: BundleSource & { from: string | null; to: string | null };
  eventCount: number;
  /** "sha256:<hex>" of the events' content hashes (32 raw bytes each) in bundle order. */
  leavesDigest: string;
  /** The id of the console.evidence.exported audit event, carried as `exportEvent`. */
  exportEventId: string;
}

export interface BundleEvent {
  /** The event's canonical JSON (sorted keys, no whitespace): exactly what its content hash covers. */
  canonical: string;
  /** C2SP tlog-proof: the event's inclusion proof against `checkpoint`, which it embeds. */
  proof: string;
  /**
   * v2 only: the committed fields of an erasable event (canonical `"v":2`) opened, by field
   * ("principal", "meta"). A field of an erased subject is not disclosed: nobody can open it.
   */
  disclosures?: Record<string, Disclosure>;
}

export interface EvidenceBundle {
  format: BundleFormat;
  manifest: BundleManifest;
  /** C2SP vkeys of the console's keys (current and retired) for this tenant's log origin. */
  vkeys: string[];
  /** The C2SP tlog-checkpoint signed note every proof is against. */
  checkpoint: string;
  /** The export's own audit event: it binds the manifest to the signed log. */
  exportEvent: BundleEvent;
  events: BundleEvent[];
}

/** Canonical JSON as the console hashes it (one definition, the package's). */
export { canonicalJson } from "../canonical-json.js";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function exactKeys(v: unknown, keys: readonly string[], where: string): Record<string, unknown> {
  if (!isObject(v)) throw new BundleShapeError(`${where} must be an object`);
  const extra = Object.keys(v).filter((k) => !keys.includes(k));
  const missing = keys.filter((k) => !(k in v));
  if (extra.length) throw new BundleShapeError(`${where} has unknown field ${extra[0]}`);
  if (missing.length) throw new BundleShapeError(`${where} lacks field ${missing[0]}`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== "string") throw new BundleShapeError(`${where} must be a string`);
  return v;
}

export class BundleShapeError extends Error {
  override name = "BundleShapeError";
}

const DISCLOSABLE = ["principal", "meta"];

function parseEvent(v: unknown, where: string, v2: boolean): BundleEvent {
  if (!(v2 && isObject(v) && "disclosures" in v)) {
    const e = exactKeys(v, ["canonical", "proof"], where);
    return { canonical: str(e.canonical, `${where}.canonical`), proof: str(e.proof, `${where}.proof`) };
  }
  const e = exactKeys(v, ["canonical", "proof", "disclosures"], where);
  if (!isObject(e.disclosures)) throw new BundleShapeError(`${where}.disclosures must be an object`);
  const disclosures: Record<string, Disclosure> = {};
  for (const [field, d] of Object.entries(e.disclosures)) {
    if (!DISCLOSABLE.includes(field))
      throw new BundleShapeError(`${where}.disclosures.${field}: only principal and meta are disclosed`);
    const o = exactKeys(d, ["salt", "value"], `${where}.disclosures.${field}`);
    const salt = str(o.salt, `${where}.disclosures.${field}.salt`);
    if (!/^[0-9a-f]{64}$/.test(salt))
      throw new BundleShapeError(`${where}.disclosures.${field}.salt must be 64 lowercase hex digits`);
    disclosures[field] = { salt, value: o.value };
  }
  return {
    canonical: str(e.canonical, `${where}.canonical`),
    proof: str(e.proof, `${where}.proof`),
    disclosures,
  };
}

function parseSource(v: unknown): BundleManifest["source"] {
  if (!isObject(v)) throw new BundleShapeError("manifest.source must be an object");
  const kind = v.kind;
  const range = (k: string) => {
    const x = v[k];
    if (x !== null && typeof x !== "string")
      throw new BundleShapeError(`manifest.source.${k} must be a string or null`);
    return x as string | null;
  };
  if (kind === "query") {
    const s = exactKeys(v, ["kind", "query", "from", "to"], "manifest.source");
    return { kind, query: str(s.query, "manifest.source.query"), from: range("from"), to: range("to") };
  }
  if (kind === "request" || kind === "capability") {
    const s = exactKeys(v, ["kind", "id", "from", "to"], "manifest.source");
    return { kind, id: str(s.id, "manifest.source.id"), from: range("from"), to: range("to") };
  }
  throw new BundleShapeError("manifest.source.kind must be query, request or capability");
}

/** The bundle's structure, strictly (no unknown or missing fields). Throws BundleShapeError. */
export function parseBundleJson(json: unknown): EvidenceBundle {
  const b = exactKeys(json, ["format", "manifest", "vkeys", "checkpoint", "exportEvent", "events"], "bundle");
  if (b.format !== BUNDLE_FORMAT && b.format !== BUNDLE_FORMAT_V2)
    throw new BundleShapeError(`bundle.format must be ${BUNDLE_FORMAT} or ${BUNDLE_FORMAT_V2}`);
  const v2 = b.format === BUNDLE_FORMAT_V2;
  const m = exactKeys(
    b.manifest,
    ["tenant", "exportedBy", "exportedAt", "source", "eventCount", "leavesDigest", "exportEventId"],
    "manifest",
  );
  const by = exactKeys(m.exportedBy, ["email", "userId"], "manifest.exportedBy");
  if (!Number.isSafeInteger(m.eventCount) || (m.eventCount as number) < 0)
    throw new BundleShapeError("manifest.eventCount must be a whole number");
  if (!Array.isArray(b.vkeys) || b.vkeys.length > 100)
    throw new BundleShapeError("bundle.vkeys must be a list of up to 100 keys");
  if (!Array.isArray(b.events)) throw new BundleShapeError("bundle.events must be a list");
  return {
    format: b.format as BundleFormat,
    manifest: {
      tenant: str(m.tenant, "manifest.tenant"),
      exportedBy: {
        email: str(by.email, "manifest.exportedBy.email"),
        userId: str(by.userId, "manifest.exportedBy.userId"),
      },
      exportedAt: str(m.exportedAt, "manifest.exportedAt"),
      source: parseSource(m.source),
      eventCount: m.eventCount as number,
      leavesDigest: str(m.leavesDigest, "manifest.leavesDigest"),
      exportEventId: str(m.exportEventId, "manifest.exportEventId"),
    },
    vkeys: b.vkeys.map((k, i) => str(k, `vkeys[${i}]`)),
    checkpoint: str(b.checkpoint, "bundle.checkpoint"),
    exportEvent: parseEvent(b.exportEvent, "exportEvent", v2),
    events: b.events.map((e, i) => parseEvent(e, `events[${i}]`, v2)),
  };
}
