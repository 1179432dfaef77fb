import type { OAuthConfig } from "next-auth/providers/oauth";
import type { TokenSet } from "openid-client";

export interface OidcProfile {
  sub: string;
  email?: string;
  email_verified?: boolean | string;
  name?: string;
  [claim: string]: unknown;
}

/**
 * The claim that says the provider verified the email. Standard `email_verified` (Okta,
 * Google); Entra ID sends no such claim, and is configured with `xms_edov` instead (see
 * docs/single-sign-on.md).
 */
export function emailVerifiedClaim(env: NodeJS.ProcessEnv = process.env): string {
  return env.OIDC_EMAIL_VERIFIED_CLAIM || "email_verified";
}

/** The verified, lower-cased email of an OIDC profile, or null: only `true` counts as verified. */
export function verifiedEmail(profile: OidcProfile | undefined, claim: string): string | null {
  if (!profile || typeof profile.email !== "string" || profile.email === "") return null;
  const verified = profile[claim];
  if (verified !== true && verified !== "true") return null;
  return profile.email.trim().toLowerCase();
}

/** A generic OIDC provider, configured by environment (production); absent when unset. */
export function oidcProvider(env: NodeJS.ProcessEnv): OAuthConfig<OidcProfile> | null {
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
    // The authorization code flow with PKCE, state and nonce; the id_token's signature,
    // issuer, audience, expiry and nonce are checked by openid-client.
    idToken: true,
    checks: ["pkce", "state", "nonce"],
    userinfo: {
      // Many providers put email claims only in userinfo when an access token is issued
      // (the OIDC core rule): the id_token's claims win, userinfo fills in the rest, and
      // openid-client refuses userinfo whose `sub` is not the id_token's.
      async request({ tokens, client }) {
        const set = tokens as TokenSet;
        const claims = set.claims() as OidcProfile;
        const info = (await client.userinfo(set)) as OidcProfile;
        if (info.sub !== claims.sub) throw new Error("userinfo sub does not match the id_token");
        return { ...info, ...claims };
      },
    },
    profile: (p) => ({ id: p.sub, email: p.email?.toLowerCase() ?? null, name: p.name ?? null }),
  };
}
