// One MCP session's tools/list and tools/call: policy, the per-session root capability, the
// per-call narrowing, step-up through the console's escalations, the upstream call, and an event
// for every decision. The HTTP side (server.ts) only authenticates and routes.

import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Capability, Clock, IssuerKeyPair, RevocationList } from "../capability/index.js";
import { mintCapability } from "../capability/index.js";
import type { ConsoleClientOptions } from "../client/console-client.js";
import type { EventSender } from "../client/event-sender.js";
import { requestGatewayEscalation } from "../client/gateway.js";
import type { PlatformVerifier } from "../client/platform.js";
import { uuidv7 } from "../ids.js";
import type { GatewayClient, GatewayOperation } from "../schema/gateway.js";
import { newTraceId } from "../tools/index.js";
import type { GatewayConfig, ToolDeclaration } from "./config.js";
import type { ConsoleConfigFollower } from "./console-config.js";
import { type EventContext, type GatewayDecisionMeta, type GatewayMeta, gatewayEvent } from "./events.js";
import { SessionGrants } from "./grants.js";
import { type NarrowedEntry, Narrowings } from "./narrowing.js";
import { evaluatePolicy, LIST_RIGHT, operationFor, rightsFor, rulesForTool } from "./policy.js";
import type { Upstream } from "./upstream.js";

export interface ExposedTool {
  name: string;
  upstream: Upstream;
  tool: Tool;
  declaration: ToolDeclaration | undefined;
}

/** What every session shares: the config, the console, the upstreams, the key. */
export interface GatewayDeps {
  config: GatewayConfig;
  clock: Clock;
  issuer: IssuerKeyPair;
  console: ConsoleClientOptions;
  follower: ConsoleConfigFollower;
  verifier: PlatformVerifier;
  revocations: RevocationList;
  sender: EventSender;
  tools: () => Map<string, ExposedTool>;
  /** Runs `fn` once the current answer is written (the server drains this after each response). */
  defer: (fn: () => void) => void;
  log: (line: string) => void;
}

const UPSTREAM_TIMEOUT_MS = 60_000;
/** Re-mint a root this long before it expires. */
const ROOT_RENEW_MS = 60_000;

function refusal(text: string, meta: Record<string, unknown>): CallToolResult {
  return { isError: true, content: [{ type: "text", text }], _meta: meta };
}

function firstText(result: CallToolResult): string {
  const t = result.content?.find((c) => c.type === "text");
  return t && "text" in t ? String(t.text).slice(0, 500) : "the tool reported an error";
}

export class GatewaySession {
  /** The agent session as the console sees it (`sess_gw_<uuidv7>`). */
  readonly id: string;
  readonly request: string;
  private root: Capability | undefined;
  private rootVersion: string | undefined;
  private readonly narrowings: Narrowings;
  private readonly grants: SessionGrants;

  constructor(
    private readonly deps: GatewayDeps,
    readonly clientId: string,
  ) {
    const now = deps.clock.now();
    this.id = `sess_gw_${uuidv7(now)}`;
    this.request = `req_gw_${uuidv7(now)}`;
    this.narrowings = new Narrowings(deps.clock, deps.config.callTtlSeconds * 1000);
    this.grants = new SessionGrants({
      console: deps.console,
      clock: deps.clock,
      verifier: deps.verifier,
      session: this.id,
    });
  }

  private ctx(client: GatewayClient, traceId = newTraceId()): EventContext {
    return {
      tenant: this.deps.follower.config.tenant,
      principal: client.principal,
      agent: client.agent,
      session: this.id,
      request: this.request,
      traceId,
    };
  }

  private emit(event: Parameters<EventSender["send"]>[0]): void {
    this.deps.sender.send(event).catch((err: unknown) => this.deps.log(`event not queued: ${String(err)}`));
  }

  /**
   * Builds and queues an event after the current answer is on its way: reading the capability's
   * blocks for the summary is most of an event's cost, and the agent need not wait for it.
   * RunningGateway.flushEvents() waits for these.
   */
  private later(build: () => Parameters<EventSender["send"]>[0]): void {
    this.deps.defer(() => {
      try {
        this.emit(build());
      } catch (err) {
        this.deps.log(`gateway: event not built: ${String(err)}`);
      }
    });
  }

  /**
   * The root when it can be used as is (current rules, not near expiry), or a revoked one (it
   * stays: minting a fresh one would undo the revocation); undefined when it must be minted.
   * Synchronous, so a call on a live session waits for no promise before its checks.
   */
  private currentRoot(): Capability | undefined {
    const root = this.root;
    if (!root) return undefined;
    if (root.revokedReason()) return root;
    const fresh =
      this.rootVersion === this.deps.follower.config.version &&
      (root.expiresAt ?? 0) - this.deps.clock.now() > ROOT_RENEW_MS;
    return fresh ? root : undefined;
  }

  /** Root capability of this MCP session: minted on first use, again when the rules change. */
  private async rootFor(client: GatewayClient): Promise<Capability> {
    const current = this.currentRoot();
    if (current) return current;
    const { deps } = this;
    const doc = deps.follower.config;
    const started = deps.clock.now();
    const next = await mintCapability({
      issuer: deps.issuer,
      tenant: doc.tenant,
      principal: client.principal,
      agent: client.agent,
      session: this.id,
      request: this.request,
      rights: rightsFor({
        rules: doc.rules,
        client,
        tools: new Map([...deps.tools()].map(([n, t]) => [n, t.declaration])),
      }),
      ttlMs: deps.config.sessionTtlSeconds * 1000,
      clock: deps.clock,
      revocations: deps.revocations,
    });
    this.root = next;
    this.rootVersion = doc.version;
    this.emit(
      gatewayEvent({
        ctx: this.ctx(client),
        clock: deps.clock,
        startedMs: started,
        type: "capability.minted",
        outcome: "allowed",
        capability: next,
        gateway: { client: client.id, decision: "minted", configVersion: doc.version },
      }),
    );
    return next;
  }

  /** tools/list: only tools some rule shows this client (nothing when the session is revoked). */
  async listTools(client: GatewayClient): Promise<{ tools: Tool[] }> {
    const started = this.deps.clock.now();
    const root = await this.rootFor(client);
    const decision = root.authorize({ resource: LIST_RIGHT.resource, action: "list" });
    const rules = this.deps.follower.config.rules;
    const all = [...this.deps.tools().values()];
    const visible = decision.allowed ? all.filter((t) => rulesForTool(rules, client, t.name).length > 0) : [];
    this.emit(
      gatewayEvent({
        ctx: this.ctx(client),
        clock: this.deps.clock,
        startedMs: started,
        type: "tool.call",
        tool: "tools/list",
        outcome: decision.allowed ? "allowed" : "denied",
        reason: decision.allowed ? undefined : decision.reason,
        capability: root,
        latencyMs: this.deps.clock.now() - started,
        gateway: {
          client: client.id,
          decision: decision.allowed ? "listed" : "denied",
          listed: visible.length,
          hidden: all.length - visible.length,
        },
      }),
    );
    return { tools: visible.map((t) => ({ ...t.tool, name: t.name })) };
  }

  /** tools/call: allowed, refused with an escalation request id, or stepped up by a grant. */
  async callTool(
    client: GatewayClient,
    name: string,
    args: Record<string, unknown> | undefined,
  ): Promise<CallToolResult> {
    const { deps } = this;
    const started = deps.clock.now();
    const ctx = this.ctx(client);
    const root = this.currentRoot() ?? (await this.rootFor(client));
    const meta = (m: GatewayDecisionMeta): GatewayMeta => ({ ...m, client: client.id });
    const argsValue = args ?? {};
    const exposed = deps.tools().get(name);
    const fail = (code: number, message: string, m: GatewayDecisionMeta): never => {
      this.emit(
        gatewayEvent({
          ctx,
          clock: deps.clock,
          startedMs: started,
          type: "tool.call",
          tool: name.slice(0, 128) || "(none)",
          outcome: "error",
          reason: message,
          capability: root,
          latencyMs: deps.clock.now() - started,
          gateway: meta(m),
        }),
      );
      throw new McpError(code, message);
    };
    if (!exposed)
      return fail(
        ErrorCode.InvalidParams,
        `unknown tool ${JSON.stringify(name.slice(0, 200))}: tools/list shows the tools this gateway offers`,
        {
          decision: "error",
          check: "unknown-tool",
        },
      );
    const bytes = Buffer.byteLength(JSON.stringify(argsValue));
    if (bytes > deps.config.maxArgumentBytes)
      return fail(
        ErrorCode.InvalidParams,
        `arguments of ${name} are ${bytes} bytes; this gateway accepts at most ${deps.config.maxArgumentBytes}`,
        { decision: "error", check: "argument-size", upstream: exposed.upstream.name },
      );

    const op = operationFor({
      tool: name,
      declaration: exposed.declaration,
      arguments: argsValue,
      digestKey: deps.config.digestKey,
    });
    const upstream = exposed.upstream.name;
    // The call's narrowed capability: signed on first need, which on the allowed path is after
    // the answer (Narrowings.gate decided the call; the narrowing is its evidence, as the event
    // is). A held narrowing that decided the call is the one its event cites (set below).
    let narrowing: { entry: NarrowedEntry; fresh: boolean } | undefined;
    let attenuatedSent = false;
    const narrowedEntry = (): NarrowedEntry => {
      narrowing ??= this.narrowings.narrow(root, op);
      return narrowing.entry;
    };
    const narrowed = () => narrowedEntry().capability;
    /** A fresh narrowing's own event, once, just before the first event that cites it. */
    const emitAttenuated = () => {
      if (!narrowing?.fresh || attenuatedSent) return;
      attenuatedSent = true;
      this.emit(
        gatewayEvent({
          ctx,
          clock: deps.clock,
          startedMs: started,
          type: "capability.attenuated",
          outcome: "allowed",
          capability: narrowing.entry.capability,
          operation: op,
          gateway: meta({ upstream, decision: "narrowed" }),
        }),
      );
    };
    const record = (e: {
      outcome: "allowed" | "denied" | "error";
      /** Asked when the event is built, after the answer. */
      capability: () => Capability;
      reason?: string;
      gateway: GatewayDecisionMeta;
    }) => {
      const latencyMs = deps.clock.now() - started;
      this.later(() => {
        // The call is recorded whatever happens to its narrowing: with the root, saying so.
        let capability = root;
        let reason = e.reason;
        try {
          capability = e.capability();
        } catch (err) {
          reason = `${reason ? `${reason}; ` : ""}recorded with the session's root: the call could not be narrowed (${(err as Error).message})`;
        }
        emitAttenuated();
        return gatewayEvent({
          ctx,
          clock: deps.clock,
          startedMs: started,
          type: "tool.call",
          operation: op,
          latencyMs,
          ...e,
          capability,
          reason,
          gateway: meta({ upstream, ...e.gateway }),
        });
      });
    };

    const revoked = root.revokedReason();
    if (revoked) {
      record({
        outcome: "denied",
        capability: narrowed,
        reason: revoked,
        gateway: { decision: "denied", check: "revoked" },
      });
      return refusal(`refused: ${revoked}; this session can no longer call tools`, {
        "capconsole/revoked": revoked,
      });
    }

    const policy = evaluatePolicy({
      rules: deps.follower.config.rules,
      client,
      operation: op,
      arguments: argsValue,
    });
    if (policy.allowed) {
      // Decided before the upstream sees the call, by the held narrowing of this exact call or
      // by the root with the call's own facts, which is the fresh narrowing's answer too
      // (Narrowings.gate; a property test holds them to it).
      const gate = this.narrowings.gate(root, op);
      // The held narrowing that decided (allowed, or refused as revoked) is the one recorded, even
      // if it passes half its TTL before the event is built.
      if (gate.held) narrowing ??= { entry: gate.held, fresh: false };
      if (!gate.decision.allowed) {
        const { decision } = gate;
        record({
          outcome: "denied",
          capability: narrowed,
          reason: decision.reason,
          gateway: { decision: "denied", check: `capability:${decision.code}` },
        });
        return refusal(`refused: ${decision.reason}`, { "capconsole/missing": decision.reason });
      }
      return this.forward({
        exposed,
        args: argsValue,
        op,
        capability: narrowed,
        record,
        gateway: { decision: "allowed", rule: policy.rule.id },
      });
    }

    const grant = await this.grants.find(op).catch((err: unknown) => {
      deps.log(`gateway: escalation pick-up failed: ${String(err)}`);
      return undefined;
    });
    if (grant) {
      const used = await this.grants.use(grant, op);
      if (used.allowed)
        return this.forward({
          exposed,
          args: argsValue,
          op,
          capability: () => used.capability,
          record,
          gateway: { decision: "escalated", escalation: grant.id, check: policy.check },
        });
      record({
        outcome: "denied",
        capability: () => used.capability ?? narrowed(),
        reason: `escalation ${grant.id} refused: ${used.reason}`,
        gateway: { decision: "denied", check: `escalation:${used.code}`, escalation: grant.id },
      });
      return refusal(`refused: escalation ${grant.id} cannot be used (${used.reason})`, {
        "capconsole/missing": policy.missing,
        "capconsole/escalation": grant.id,
      });
    }

    // Denied: record it, then ask the console for an escalation of exactly this operation.
    const deniedEvent = gatewayEvent({
      ctx,
      clock: deps.clock,
      startedMs: started,
      type: "tool.call",
      outcome: "denied",
      capability: narrowed(),
      operation: op,
      reason: policy.missing,
      latencyMs: deps.clock.now() - started,
      gateway: meta({ upstream, decision: "denied", check: `policy:${policy.check}` }),
    });
    let requestId: string | undefined;
    let requestError: string | undefined;
    try {
      const req = await requestGatewayEscalation(deps.console, {
        client: client.id,
        principal: client.principal,
        agent: client.agent,
        session: this.id,
        operation: op,
        missing: policy.missing.slice(0, 1000),
        deniedEvent: deniedEvent.id,
      });
      requestId = req.id;
    } catch (err) {
      requestError = (err as Error).message;
    }
    (deniedEvent.meta as { gateway: GatewayMeta }).gateway.escalationRequest = requestId;
    emitAttenuated();
    this.emit(deniedEvent);
    const how = requestId
      ? `escalation request ${requestId}: ask an admin to grant it in the console, then retry the same call`
      : `no escalation request could be created: ${requestError}`;
    return refusal(`refused: ${policy.missing} (${how})`, {
      "capconsole/missing": policy.missing,
      "capconsole/operation": op,
      ...(requestId ? { "capconsole/escalationRequest": requestId } : {}),
    });
  }

  private async forward(f: {
    exposed: ExposedTool;
    args: Record<string, unknown>;
    op: GatewayOperation;
    capability: () => Capability;
    record: (e: {
      outcome: "allowed" | "denied" | "error";
      capability: () => Capability;
      reason?: string;
      gateway: GatewayDecisionMeta;
    }) => void;
    gateway: GatewayDecisionMeta;
  }): Promise<CallToolResult> {
    try {
      const result = await f.exposed.upstream.callTool(f.exposed.tool.name, f.args, UPSTREAM_TIMEOUT_MS);
      f.record({
        outcome: result.isError ? "error" : "allowed",
        capability: f.capability,
        reason: result.isError ? `the tool reported an error: ${firstText(result)}` : undefined,
        gateway: f.gateway,
      });
      return result;
    } catch (err) {
      const reason = (err as Error).message;
      f.record({
        outcome: "error",
        capability: f.capability,
        reason,
        gateway: { ...f.gateway, check: "upstream" },
      });
      return refusal(`error: ${reason}; the gateway restarts the upstream on the next call`, {
        "capconsole/upstreamError": reason,
      });
    }
  }
}
