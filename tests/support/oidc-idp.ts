import http from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type KoaContextWithOIDC } from "oidc-provider";
import { parseSetCookie } from "./auth-browser";

// A real OpenID Connect provider (panva's oidc-provider) on a loopback port, for driving
// next-auth's OIDC flow end to end: discovery, authorization code with PKCE, state and
// nonce, the token endpoint, id_token signature and claims, userinfo. The login screen is
// replaced by "whoever the test says is at the keyboard"; consent is implied.

export interface IdpAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** Claims a provider may send that the console must not take as authority. */
  role?: string;
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, IdpAccount>;
  /** The sub who "types their password" at the provider's login screen next. */
  loginAs(sub: string): void;
  /**
   * Follows the browser through the provider from the authorization URL until it is sent
   * back to the console; returns that URL (the console's callback with code and state).
   */
  authorize(url: string): Promise<URL>;
  close(): Promise<void>;
}

export async function startTestIdp(redirectUri: string): Promise<TestIdp> {
  const accounts = new Map<string, IdpAccount>();
  let nextLogin = "";
  const clientId = "capability-console";
  const clientSecret = "test-client-secret-0123456789abcdef0123456789";

  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "role"] },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party console: no consent screen.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const client = ctx.oidc.client;
      const session = ctx.oidc.session;
      if (!client || !session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
    cookies: { keys: ["oidc-test-cookie-key-0123456789"] },
    ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600 },
  });
  const callback = provider.callback();
  server.on("request", (req, res) => {
    if (req.url?.startsWith("/interaction/")) {
      void provider
        .interactionFinished(
          req,
          res,
          { login: { accountId: nextLogin } },
          { mergeWithLastSubmission: false },
        )
        .catch((err: unknown) => {
          res.statusCode = 500;
          res.end(String(err));
        });
      return;
    }
    void callback(req, res);
  });

  const cookies: Record<string, string> = {};
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    loginAs(sub) {
      nextLogin = sub;
    },
    async authorize(start) {
      // A fresh browser at the provider each time, so one test's login does not carry over.
      for (const name of Object.keys(cookies)) delete cookies[name];
      let url = new URL(start);
      for (let hop = 0; hop < 10; hop++) {
        if (url.origin !== issuer) return url;
        const res = await fetch(url, {
          redirect: "manual",
          headers: {
            cookie: Object.entries(cookies)
              .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
              .join("; "),
          },
        });
        for (const line of res.headers.getSetCookie()) {
          const c = parseSetCookie(line);
          if (c.cleared) delete cookies[c.name];
          else cookies[c.name] = c.value;
        }
        const location = res.headers.get("location");
        if (!location)
          throw new Error(`the provider stopped at ${url.pathname}: ${res.status} ${await res.text()}`);
        url = new URL(location, url);
      }
      throw new Error("too many redirects at the provider");
    },
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
