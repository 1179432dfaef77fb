// `capability-console verify bundle <file> [--key <vkey or file>]... [--later-checkpoint <file>
// --consistency <file>] [--json]`: exit 0 when every event is genuine under a pinned key, 1 when
// anything failed (or the key is only the bundle's own), 2 for a usage error.
import { decodeUtf8 } from "./bytes.js";
import { type BundleReport, UsageError, verifyBundle } from "./verify.js";

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile: (path: string) => Promise<Uint8Array>;
}

export const VERIFY_BUNDLE_USAGE = `usage: capability-console verify bundle <bundle.json> [--key <vkey or file>]...
       [--later-checkpoint <file> --consistency <file>] [--json]

  --key                a verifier key (name+id+base64) or a file of them, one per line: the
                       console's key, obtained out of band. Repeatable. Without it the bundle's
                       own keys are used and the result is only "self-signed".
  --later-checkpoint   a later signed checkpoint of the same log (note text file)
  --consistency        the consistency proof from the bundle's checkpoint to it (base64 hash per line)
  --json               print the full report as JSON
exit status: 0 all genuine, 1 something failed or the key is not pinned, 2 usage error`;

const VKEY = /^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/;

interface Args {
  file: string;
  keys: string[];
  later?: string;
  consistency?: string;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const rest = argv[0] === "verify" && argv[1] === "bundle" ? argv.slice(2) : [...argv];
  const args: Partial<Args> & { keys: string[]; json: boolean } = { keys: [], json: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--key") args.keys.push(value());
    else if (a === "--later-checkpoint") args.later = value();
    else if (a === "--consistency") args.consistency = value();
    else if (a === "--json") args.json = true;
    else if (a === "--help" || a === "-h") throw new UsageError("");
    else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
    else if (args.file === undefined) args.file = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (args.file === undefined) throw new UsageError("which bundle? give its file name");
  if ((args.later === undefined) !== (args.consistency === undefined))
    throw new UsageError("--later-checkpoint and --consistency go together");
  return args as Args;
}

async function read(io: CliIo, path: string, what: string): Promise<Uint8Array> {
  try {
    return await io.readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function keysFrom(io: CliIo, spec: string): Promise<string[]> {
  if (VKEY.test(spec)) return [spec];
  const text = decodeUtf8(await read(io, spec, "key file"));
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  if (!keys.length) throw new UsageError(`key file ${spec} holds no verifier key`);
  return keys;
}

export function formatReport(r: BundleReport): string {
  const lines: string[] = [];
  if (r.manifest) {
    const m = r.manifest;
    const what =
      m.source.kind === "query"
        ? `query ${JSON.stringify(m.source.query)}`
        : `${m.source.kind} ${m.source.id}`;
    lines.push(`bundle: tenant ${m.tenant}, ${what}, exported by ${m.exportedBy.email} at ${m.exportedAt}`);
  }
  if (r.checkpoint)
    lines.push(`checkpoint: ${r.checkpoint.origin}, size ${r.checkpoint.size}, root ${r.checkpoint.root}`);
  lines.push(
    `key: ${r.trust.signedBy.join(", ") || "(no trusted signature)"} ${r.trust.pinned ? "(pinned with --key)" : "(from the bundle: self-signed: pin the console's key with --key)"}`,
  );
  for (const f of r.failures) lines.push(`FAILED ${f.where}: ${f.check}: ${f.message}`);
  lines.push(r.summary);
  return `${lines.join("\n")}\n`;
}

export async function runVerifyBundle(argv: string[], io: CliIo): Promise<number> {
  let args: Args;
  let trustedKeys: string[] = [];
  let bundle: Uint8Array;
  let later: { checkpoint: string; consistencyProof: Uint8Array } | undefined;
  try {
    args = parseArgs(argv);
    for (const spec of args.keys) trustedKeys.push(...(await keysFrom(io, spec)));
    trustedKeys = [...new Set(trustedKeys)];
    bundle = await read(io, args.file, "bundle");
    if (args.later && args.consistency)
      later = {
        checkpoint: decodeUtf8(await read(io, args.later, "later checkpoint")),
        consistencyProof: await read(io, args.consistency, "consistency proof"),
      };
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) io.stderr(`error: ${err.message}\n`);
      io.stderr(`${VERIFY_BUNDLE_USAGE}\n`);
      return 2;
    }
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  let report: BundleReport;
  try {
    report = await verifyBundle(bundle, { trustedKeys, later });
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`error: ${err.message}\n${VERIFY_BUNDLE_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (args.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(formatReport(report));
  if (report.verdict === "self-signed")
    io.stderr(
      "warning: self-signed: pin the console's key with --key (get it from the console's /evidence/verify page or its operator)\n",
    );
  return report.ok ? 0 : 1;
}
