import "server-only";
import { and, eq, isNull } from "drizzle-orm";
import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { accounts, consoleUsers } from "@/db/schema";
import {
  isConsoleSessionLive,
  openConsoleSession,
  revokeConsoleSession,
  SESSION_TTL_MS,
  signInWithPassword,
} from "@/lib/data/console-sessions";
import { getDb } from "@/lib/server/db";
import { sameOriginPath } from "./callback-url";
import { clientAddress, trustedProxyHops } from "./client-address";
import { emailVerifiedClaim, type OidcProfile, oidcProvider, verifiedEmail } from "./oidc";

type HeaderMap = Record<string, string | string[] | undefined> | undefined;

function header(headers: HeaderMap, name: string): string | null {
  const v = headers?.[name];
  return (Array.isArray(v) ? v.join(",") : v) ?? null;
}

function ipOf(headers: HeaderMap): string {
  return clientAddress(header(headers, "x-forwarded-for"), trustedProxyHops());
}

export function isOidcConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return oidcProvider(env) !== null;
}

/** Thrown from the jwt callback: next-auth then answers no session and clears the cookie. */
class SessionEndedError extends Error {
  override name = "SessionEndedError";
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

// The request's headers inside next-auth callbacks that are not handed them (App Router only).
async function requestHeaders(): Promise<HeaderMap> {
  try {
    const { headers } = await import("next/headers");
    return Object.fromEntries(await headers());
  } catch {
    return undefined;
  }
}

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
          ip: ipOf(req?.headers),
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
    // Role and tenants come from the console's own row, never from the provider's claims.
    async signIn({ user, account, profile }) {
      if (!account || account.provider === "credentials") return true;
      const email = verifiedEmail(profile as OidcProfile | undefined, emailVerifiedClaim());
      if (!email) return false;
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
      user.email = cu.email;
      user.name = cu.name;
      const headers = await requestHeaders();
      user.sid = await openConsoleSession(db, {
        userId: cu.id,
        email: cu.email,
        tenants: cu.tenants,
        ip: ipOf(headers),
        userAgent: header(headers, "user-agent"),
      });
      return true;
    },
    // Every callback and redirect stays on the console, as a path: the browser keeps the host
    // it is on (sign-out no longer jumps to NEXTAUTH_URL's host).
    async redirect({ url, baseUrl }) {
      return sameOriginPath(url, { origin: baseUrl });
    },
    async jwt({ token, user }) {
      if (user) {
        token.uid = user.id;
        token.sid = user.sid;
        return token;
      }
      // /api/auth/session re-issues the cookie on every call: a signed-out, expired or
      // disabled session must get nothing back, not a fresh cookie.
      if (!token.sid || !(await isConsoleSessionLive(await getDb(), token.sid))) {
        throw new SessionEndedError("the console session has ended");
      }
      return token;
    },
    // The browser sees only who is signed in; the session id stays inside the encrypted cookie.
    async session({ session }) {
      return session;
    },
  },
  logger: {
    // An ended session is an answer ("no session"), not an error worth a stack trace.
    error(code, metadata) {
      const cause = (metadata as { message?: string; name?: string } | undefined) ?? {};
      if (code === "JWT_SESSION_ERROR" && cause.name === "SessionEndedError") return;
      console.error(`[next-auth][error][${code}]`, metadata);
    },
    warn(code) {
      console.warn(`[next-auth][warn][${code}]`);
    },
    debug() {},
  },
  events: {
    async signOut({ token }) {
      if (token?.sid) await revokeConsoleSession(await getDb(), token.sid);
    },
  },
};
