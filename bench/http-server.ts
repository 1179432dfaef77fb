import http from "node:http";
import type { AddressInfo } from "node:net";
import { toWebRequest } from "../lib/server/node-request";

/** A route handler (Request → Response) served on a local port, as Next would serve it. */
export function serveHandler(handler: (request: Request) => Promise<Response>) {
  const server = http.createServer(async (req, res) => {
    const response = await handler(toWebRequest(req));
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  // Longer than the client's idle keep-alive, so the server never closes a socket the client is
  // about to reuse (a reset under load otherwise).
  server.keepAliveTimeout = 60_000;
  return new Promise<{ url: string; close: () => void }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => server.close(),
      }),
    ),
  );
}
