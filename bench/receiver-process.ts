// The streams bench's receiver, in a process of its own: it stands for a SIEM on another machine,
// so parsing what arrives must not take the web server's (the bench process's) time. Accepts
// every POST, notes when each body arrived (epoch ms, performance.timeOrigin + now(), comparable
// across processes), prints "PORT <n>". On stdin: "count" → the number of distinct event ids
// arrived; "dump" → one JSON line {id: epoch ms of first arrival}; "exit".
import http from "node:http";
import type { AddressInfo } from "node:net";
import readline from "node:readline";

const seen = new Map<string, number>();
let pending: { at: number; hook: string | undefined; body: Buffer }[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const hook = req.headers["webhook-id"];
    pending.push({
      at: performance.timeOrigin + performance.now(),
      hook: typeof hook === "string" ? hook : undefined,
      body: Buffer.concat(chunks),
    });
    res.writeHead(204).end();
  });
});
const drain = () => {
  for (const p of pending) {
    const ids = p.hook
      ? [p.hook]
      : [...p.body.toString("utf8").matchAll(/"(?:id|event_id)":"([0-9a-f-]{36})"/g)].map(
          (m) => m[1] as string,
        );
    for (const id of ids) if (!seen.has(id)) seen.set(id, p.at);
  }
  pending = [];
};
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`);
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line === "count") {
    drain();
    process.stdout.write(`${seen.size}\n`);
  } else if (line === "dump") {
    drain();
    process.stdout.write(`${JSON.stringify(Object.fromEntries(seen))}\n`);
  } else if (line === "exit") break;
}
server.closeAllConnections();
server.close();
process.exit(0);
