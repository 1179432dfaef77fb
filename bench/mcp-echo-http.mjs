// A trivial MCP server over Streamable HTTP (one `echo` tool), for the gateway bench's transport
// floor: the same round trip as the gateway's, without any of its work. Prints "PORT <n>".
import { randomUUID } from "node:crypto";
import http from "node:http";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  CallToolRequestSchema,
  isInitializeRequest,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";

const sessions = new Map();
const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
  let transport = sessions.get(req.headers["mcp-session-id"]);
  if (!transport && isInitializeRequest(body)) {
    transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: true,
      onsessioninitialized: (id) => sessions.set(id, transport),
    });
    const mcp = new Server({ name: "echo", version: "1.0.0" }, { capabilities: { tools: {} } });
    mcp.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    mcp.setRequestHandler(CallToolRequestSchema, (r) => ({
      content: [{ type: "text", text: String(r.params.arguments?.text ?? "") }],
    }));
    await mcp.connect(transport);
  }
  if (!transport) {
    res.writeHead(400);
    res.end();
    return;
  }
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
  const response = await transport.handleRequest(
    new Request("http://echo/mcp", { method: req.method, headers }),
    {
      parsedBody: body,
    },
  );
  const out = {};
  response.headers.forEach((v, k) => {
    out[k] = v;
  });
  if (!(out["content-type"] ?? "").includes("text/event-stream")) {
    const buf = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
    res.writeHead(response.status, out);
    res.end(buf);
    return;
  }
  res.writeHead(response.status, out);
  const reader = response.body.getReader();
  res.on("close", () => void reader.cancel().catch(() => {}));
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true }));
    if (done || res.destroyed) break;
    res.write(value);
  }
  res.end();
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
process.once("SIGTERM", () => process.exit(0));
