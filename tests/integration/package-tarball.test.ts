import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { events, sessions } from "@/db/schema";
import { handleKeys, handleRevocations } from "@/lib/api/verifier-routes";
import type { Authority } from "@/lib/auth/authority";
import { insertApiKey } from "@/lib/data/api-keys";
import { revokeSession } from "@/lib/data/revocations";
import { handleIngest } from "@/lib/ingest";
import { toWebRequest } from "@/lib/server/node-request";
import { backends } from "../support/db";
import { addTenants, signedIn } from "../support/fixtures";

// Issue 13: the SDK is a package another project installs. This packs packages/sdk, installs the
// tarball into a scratch project outside the repository, and runs the README's quick start
// (the very code block, so the two cannot drift) against the console's real route handlers
// served over HTTP, on each database backend.

const repo = path.resolve(import.meta.dirname, "../..");
const sdkDir = path.join(repo, "packages", "sdk");

/** npm without the variables of an outer `npm test` (workspace, prefix...) leaking in. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_/i.test(k)) delete env[k];
  return env;
}

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, env: npmEnv(), encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The first ```js block under "## Quick start" in the package README. */
function quickStartOf(readme: string): string {
  const m = /^## Quick start\n[\s\S]*?^```js\n([\s\S]*?)^```$/m.exec(readme);
  if (!m?.[1]) throw new Error("packages/sdk/README.md has no ```js block under ## Quick start");
  return m[1];
}

let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "cc-sdk-consumer-"));
  // `npm pack` runs prepack (tsc into dist/), as `npm publish` would.
  const out = run(
    "npm",
    ["pack", "--json", "--pack-destination", scratch, "--no-audit", "--no-fund"],
    sdkDir,
  );
  // The JSON answer, whatever a lifecycle script printed before it.
  const packed = JSON.parse(out.slice(out.search(/^\[/m))) as { filename: string }[];
  const tarball = path.join(scratch, packed[0]?.filename ?? "missing.tgz");
  writeFileSync(
    path.join(scratch, "package.json"),
    JSON.stringify({ name: "sdk-consumer", private: true, type: "module" }, null, 2),
  );
  run("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund"], scratch);
  writeFileSync(
    path.join(scratch, "quickstart.mjs"),
    quickStartOf(readFileSync(path.join(sdkDir, "README.md"), "utf8")),
  );
}, 150_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("the packed SDK", () => {
  it("is installed from the tarball with its JavaScript, .d.ts types and bin, and nothing of the console", () => {
    const installed = path.join(scratch, "node_modules", "@capability-console", "sdk");
    const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as {
      version: string;
      exports: Record<string, Record<string, string>>;
    };
    expect(manifest.version).toBe("0.1.0");
    for (const sub of [".", "./capability", "./tools", "./schema", "./client"]) {
      const entry = manifest.exports[sub];
      expect(existsSync(path.join(installed, entry?.types ?? "missing"))).toBe(true);
      expect(existsSync(path.join(installed, entry?.default ?? "missing"))).toBe(true);
    }
    expect(readFileSync(path.join(installed, "dist", "index.d.ts"), "utf8")).toContain("./client/index.js");
    expect(existsSync(path.join(installed, "src"))).toBe(false);
    // Its dependencies came from the registry, not from the repository.
    expect(existsSync(path.join(scratch, "node_modules", "@biscuit-auth", "biscuit-wasm"))).toBe(true);
    expect(existsSync(path.join(scratch, "node_modules", "zod"))).toBe(true);
  });

  it("type-checks a consumer against the installed .d.ts (events are typed, not records)", () => {
    writeFileSync(
      path.join(scratch, "consumer.ts"),
      `import { type EventV1, EventSender, eventSchema, type IngestEvent, invokeTool } from "@capability-console/sdk";
import type { Capability } from "@capability-console/sdk/capability";
import type { RevocationFeedPage } from "@capability-console/sdk/schema";

const ok: EventV1 = { id: "0190b0a0-0000-7000-8000-000000000000", ts: "2026-12-01T10:00:00Z", tenant: "acme", type: "agent.message", outcome: "allowed" };
// @ts-expect-error outcome must be one of the v1 outcomes
const bad: EventV1 = { ...ok, outcome: "maybe" };
const parsed: IngestEvent = eventSchema.parse(ok);
const when: Date = parsed.ts;
const sender = new EventSender({ baseUrl: "http://localhost:3000", apiKey: "k", timeoutMs: 1000 });
// @ts-expect-error the sender takes v1 events, not arbitrary records
void sender.send({ id: "x" });
type Cursor = RevocationFeedPage["next"];
const cursor: Cursor = 3;
export type { Capability };
export { bad, cursor, invokeTool, when };
`,
    );
    const tsc = spawnSync(
      process.execPath,
      [
        path.join(repo, "node_modules", "typescript", "bin", "tsc"),
        "--noEmit",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--typeRoots",
        path.join(repo, "node_modules", "@types"),
        "--types",
        "node",
        // As the repository does: biscuit-wasm's own .d.ts declares one class twice.
        "--skipLibCheck",
        "consumer.ts",
      ],
      { cwd: scratch, encoding: "utf8", timeout: 120_000 },
    );
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });

  it("runs the capability-console bin", () => {
    const bin = path.join(scratch, "node_modules", ".bin", "capability-console");
    const help = spawnSync(bin, ["--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("verify bundle <file>");
    const version = spawnSync(bin, ["version"], { encoding: "utf8" });
    expect(version.stdout.trim()).toBe("0.1.0");
    const unknown = spawnSync(bin, ["frobnicate"], { encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    if (!existsSync(path.join(sdkDir, "src", "evidence", "cli.ts"))) {
      const verify = spawnSync(bin, ["verify", "bundle", "x.json"], { encoding: "utf8" });
      expect(verify.status).toBe(2);
      expect(verify.stderr).toContain("verify bundle is not available in this build");
    }
  });
});

describe.each(backends)(
  "the README quick start, installed from the tarball, against a console on $name",
  (backend) => {
    let database: Database;
    let server: http.Server;
    let url: string;
    let apiKey: string;
    let admin: Authority;

    beforeAll(async () => {
      database = await backend.open();
      await addTenants(database.db, ["acme"]);
      apiKey = (await insertApiKey(database.db, { tenant: "acme", source: "quickstart", createdBy: "t" }))
        .key;
      admin = await signedIn(database.db, { email: "admin@x.test", role: "admin", tenants: ["acme"] });
      // The console's route handlers for what the SDK calls, over real HTTP.
      server = http.createServer(async (req, res) => {
        const request = toWebRequest(req);
        const p = new URL(request.url).pathname;
        const response =
          p === "/api/v1/events"
            ? await handleIngest(database.db, request)
            : p === "/api/v1/revocations"
              ? await handleRevocations(database.db, request)
              : p === "/api/v1/keys"
                ? await handleKeys(database.db, request)
                : new Response("not found", { status: 404 });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
      await database?.close();
    });

    it("mints, narrows, calls a tool, lands its events in the database and sees the session's revocation", async () => {
      const child = spawn(process.execPath, ["quickstart.mjs"], {
        cwd: scratch,
        env: { ...npmEnv(), CONSOLE_URL: url, CONSOLE_API_KEY: apiKey, CONSOLE_TENANT: "acme" },
      });
      let stdout = "";
      let stderr = "";
      let revokedSession: string | undefined;
      let revoking: Promise<unknown> | undefined;
      child.stderr.on("data", (c) => {
        stderr += c;
      });
      child.stdout.on("data", (c) => {
        stdout += c;
        const waiting = /waiting for session (\S+) to be revoked/.exec(stdout);
        if (waiting?.[1] && !revoking) {
          revokedSession = waiting[1];
          // The admin revokes the session in the console, as the README tells the reader to.
          revoking = revokeSession(database.db, admin, {
            tenant: "acme",
            session: revokedSession,
            reason: "quick start test",
          });
        }
      });
      const killer = setTimeout(() => child.kill("SIGKILL"), 45_000);
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      clearTimeout(killer);
      await revoking;
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });

      expect(stdout).toContain("name lookup: { name: 'Ada' }");
      expect(stdout).toMatch(/phone lookup: denied: /);
      expect(stdout).toContain("token valid: true");
      expect(stdout).toContain("console stored 2 new events (0 duplicates)");
      // The follower saw the console's revocation of exactly that session.
      expect(stdout).toMatch(/revoked: .*session/);

      const ids = /events: (\S+) (\S+)/.exec(stdout)?.slice(1) ?? [];
      expect(ids).toHaveLength(2);
      const rows = await database.db
        .select({ id: events.id, type: events.type, outcome: events.outcome, session: events.session })
        .from(events)
        .where(and(eq(events.tenant, "acme"), inArray(events.id, ids)));
      expect(rows.map((r) => [r.type, r.outcome, r.session]).sort()).toEqual([
        ["tool.call", "allowed", revokedSession],
        ["tool.call", "denied", revokedSession],
      ]);
      const [session] = await database.db
        .select({ revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(and(eq(sessions.tenant, "acme"), eq(sessions.id, revokedSession ?? "")));
      expect(session?.revokedAt).toBeInstanceOf(Date);
    });
  },
);
