#!/usr/bin/env node
import { realpathSync } from "node:fs";
// The `capability-console` command: subcommands of the SDK that run from a shell.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile: (path: string) => Promise<Uint8Array>;
}

type VerifyBundle = (argv: string[], io: CliIo) => Promise<number>;

export const USAGE = `Usage: capability-console <command> [options]

Commands:
  verify bundle <file> [options]   Check an evidence bundle offline (run with --help for options)
  gateway [config.json] [--stdio]  Run the MCP capability gateway (needs @modelcontextprotocol/sdk)
  version                          Print the SDK's version
  help                             Show this help

Options:
  -h, --help                       Show help
`;

/** The bundle verifier, when this build has it (the evidence module ships separately). */
async function loadVerifyBundle(): Promise<VerifyBundle | undefined> {
  // A computed specifier: the module is optional, so neither tsc nor a bundler may require it.
  const specifier = ["./evidence", "cli.js"].join("/");
  try {
    const mod = (await import(specifier)) as { runVerifyBundle?: VerifyBundle };
    return mod.runVerifyBundle;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || /Cannot find module|Failed to load url/i.test(String(err)))
      return undefined;
    throw err;
  }
}

async function version(): Promise<string> {
  const pkg = new URL("../package.json", import.meta.url);
  const text = new TextDecoder().decode(await readFile(pkg));
  return (JSON.parse(text) as { version: string }).version;
}

/** Runs one command line (without the node and script arguments); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    (command === undefined ? io.stderr : io.stdout)(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === "version" || command === "--version") {
    io.stdout(`${await version()}\n`);
    return 0;
  }
  if (command === "verify") {
    const [what, ...args] = rest;
    if (what !== "bundle") {
      io.stderr(
        what === undefined || what === "--help" || what === "-h"
          ? USAGE
          : `unknown verify target ${JSON.stringify(what)}\n\n${USAGE}`,
      );
      return what === "--help" || what === "-h" ? 0 : 2;
    }
    const verifyBundle = await loadVerifyBundle();
    if (!verifyBundle) {
      io.stderr("verify bundle is not available in this build\n");
      return 2;
    }
    return verifyBundle(args, io);
  }
  if (command === "gateway") {
    // Loaded on demand: the MCP SDK is an optional peer dependency of this package.
    const { runGateway } = await import("./gateway/run.js");
    return runGateway(rest, { stdout: io.stdout, stderr: io.stderr, env: process.env });
  }
  io.stderr(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 2;
}

function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const io: CliIo = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    readFile: (p) => readFile(p),
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`capability-console: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
