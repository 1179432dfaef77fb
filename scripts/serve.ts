// The console's HTTP server: Next's request handler behind a plain node:http server, so the
// TCP peer's address reaches the app as the last X-Forwarded-For entry (`next start` keeps a
// client-sent header as is, and then nothing tells the peer from a forgery). The sign-in
// limits read it with TRUST_PROXY_HOPS; see lib/auth/client-address.ts.
import http from "node:http";
import next from "next";
import { appendPeerAddress } from "@/lib/auth/client-address";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const app = next({ dev, port, hostname: "localhost" });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  appendPeerAddress(req);
  void handle(req, res);
});
if (dev) server.on("upgrade", app.getUpgradeHandler());
// An idle kept-alive connection is closed by its client or by a proxy in front (60 s is the
// common load-balancer default), not by this server after Node's 5 s: a server closing first
// races a client reusing the socket, and the client gets ECONNRESET (seen in the e2e suite on a
// busy machine, on an API key's GET). headersTimeout must stay above keepAliveTimeout.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(port, () => console.log(`Ready on port ${port} (${dev ? "development" : "production"})`));
