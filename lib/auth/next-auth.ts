import "server-only";
import { and, eq, isNull } from "drizzle-orm";
import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { accounts, consoleUsers } from "@/db/schema";
import {
  openConsoleSession,
  revokeConsoleSession,
  SESSION_TTL_MS,
  signInWithPassword,
} from "@/lib/data/console-sessions";
import { getDb } from "@/lib/server/db";

type Headers = Record<string, string | string[] | undefined> | undefined;

function header(headers: Headers, name: string): string | null {
  const v = headers?.[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

// The first hop of X-Forwarded-For when behind a proxy; "local" when the request came direct.
function clientIp(headers: Headers): string {
  return header(headers, "x-forwarded-for")?.split(",")[0]?.trim() || header(headers, "x-real-ip") || "local";
}

interface OidcProfile {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

/** A generic OIDC provider, configured by environment (production); absent when unset. */
function oidcProvider(env: NodeJS.ProcessEnv): OAuthConfig<OidcProfile> | null {
  const { OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET } = env;
  if (!OIDC_ISSUER || !OIDC_CLIENT_ID || !OIDC_CLIENT_SECRET) return null;
  return {
    id: "oidc",
    name: env.OIDC_NAME || "Single sign-on",
    type: "oauth",
    wellKnown: `${OIDC_ISSUER.replace(/\/$/, "")}/.well-known/openid-configuration`,
    clientId: OIDC_CLIENT_ID,
    clientSecret: OIDC_CLIENT_SECRET,
    authorization: { params: { scope: "openid email profile" } },
    idToken: true,
    checks: ["pkce", "state"],
    profile: (p) => ({ id: p.sub, email: p.email?.toLowerCase() ?? null, name: p.name ?? null }),
  };
}

export function isOidcConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return oidcProvider(env) !== null;
}

declare module "next-auth" {
  interface User {
    sid?: string;
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    sid?: string;
    uid?: string;
  }
}

const oidc = oidcProvider(process.env);

export const authOptions: AuthOptions = {
  secret: process.env.NEXTAUTH_SECRET,
  session: { strategy: "jwt", maxAge: SESSION_TTL_MS / 1000 },
  pages: { signIn: "/login", error: "/login" },
  providers: [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: {
        email: { label: "Email", type: "email" },
        password: { label: "Password", type: "password" },
      },
      async authorize(credentials, req) {
        const email = credentials?.email ?? "";
        const password = credentials?.password ?? "";
        if (!email || !password) throw new Error("Enter your email and password.");
        const db = await getDb();
        const result = await signInWithPassword(db, {
          email,
          password,
          ip: clientIp(req?.headers),
          userAgent: header(req?.headers, "user-agent"),
        });
        // next-auth hands a thrown message to the sign-in form as its error.
        if (!result.ok) throw new Error(result.message);
        return { id: result.userId, email: result.email, name: result.name, sid: result.sessionId };
      },
    }),
    ...(oidc ? [oidc] : []),
  ],
  callbacks: {
    // OIDC sign-in admits only pre-provisioned, enabled console users with a verified email.
    async signIn({ user, account, profile }) {
      if (!account || account.provider === "credentials") return true;
      const p = profile as OidcProfile | undefined;
      const email = user.email?.toLowerCase();
      if (!email || p?.email_verified === false) return false;
      const db = await getDb();
      const [cu] = await db
        .select()
        .from(consoleUsers)
        .where(and(eq(consoleUsers.email, email), isNull(consoleUsers.disabledAt)));
      if (!cu) return false;
      await db
        .insert(accounts)
        .values({
          userId: cu.id,
          type: account.type,
          provider: account.provider,
          providerAccountId: account.providerAccountId,
        })
        .onConflictDoNothing();
      user.id = cu.id;
      user.sid = await openConsoleSession(db, {
        userId: cu.id,
        email: cu.email,
        tenants: cu.tenants,
        ip: "oidc",
        userAgent: null,
      });
      return true;
    },
    async jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.sid = user.sid;
      }
      return token;
    },
    // The browser sees only who is signed in; the session id stays inside the encrypted cookie.
    async session({ session }) {
      return session;
    },
  },
  events: {
    async signOut({ token }) {
      if (token?.sid) await revokeConsoleSession(await getDb(), token.sid);
    },
  },
};
