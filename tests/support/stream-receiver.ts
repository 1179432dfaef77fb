import http from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour = "ok" | "fail500" | "gone410" | "redirect" | "hang" | "destroy" | "slow429";

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP receiver for stream tests: answers each request by the next scripted behaviour
 * (then "ok" once the script runs out), and keeps every request it answered with a 2xx.
 */
export async function startReceiver() {
  const script: Behaviour[] = [];
  const accepted: Received[] = [];
  const seen: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      seen.push(r);
      const b = script.shift() ?? "ok";
      if (b === "ok") {
        accepted.push(r);
        res.writeHead(204).end();
      } else if (b === "fail500") res.writeHead(500, { "content-type": "text/plain" }).end("receiver broke");
      else if (b === "gone410") res.writeHead(410).end("gone");
      else if (b === "slow429") res.writeHead(429, { "retry-after": "120" }).end();
      else if (b === "redirect")
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      else if (b === "destroy") req.socket.destroy();
      // "hang": never answers; the sender's timeout must cut it.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    script,
    accepted,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
