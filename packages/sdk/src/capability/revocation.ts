/**
 * Revoked capability ids (any block's revocation id), sessions and principals. Children carry
 * their ancestors' blocks, so checking every block id of a token makes revocation cascade to
 * everything derived from a revoked capability.
 */
export interface RevocationList {
  readonly capabilities: ReadonlySet<string>;
  readonly sessions: ReadonlySet<string>;
  readonly principals: ReadonlySet<string>;
}

export interface MutableRevocationList extends RevocationList {
  revokeCapability(id: string): void;
  revokeSession(session: string): void;
  revokePrincipal(principal: string): void;
}

export function createRevocationList(initial: Partial<Record<keyof RevocationList, Iterable<string>>> = {}) {
  const capabilities = new Set(initial.capabilities ?? []);
  const sessions = new Set(initial.sessions ?? []);
  const principals = new Set(initial.principals ?? []);
  const list: MutableRevocationList = {
    capabilities,
    sessions,
    principals,
    revokeCapability: (id) => void capabilities.add(id.toLowerCase()),
    revokeSession: (session) => void sessions.add(session),
    revokePrincipal: (principal) => void principals.add(principal),
  };
  return list;
}

export interface RevocationSubject {
  revocationIds: readonly string[];
  session?: string;
  principal?: string;
}

/** A person-readable reason when the subject is revoked, otherwise undefined. */
export function revocationReason(
  subject: RevocationSubject,
  list: RevocationList | undefined,
): string | undefined {
  if (!list) return undefined;
  const ids = subject.revocationIds;
  for (let block = 0; block < ids.length; block++) {
    const id = ids[block] as string;
    if (list.capabilities.has(id)) {
      const self = block === ids.length - 1;
      return self
        ? `capability ${id.slice(0, 12)}… is revoked`
        : `ancestor capability ${id.slice(0, 12)}… (block ${block}) is revoked`;
    }
  }
  if (subject.session !== undefined && list.sessions.has(subject.session)) {
    return `session ${subject.session} is revoked`;
  }
  if (subject.principal !== undefined && list.principals.has(subject.principal)) {
    return `principal ${subject.principal} is revoked`;
  }
  return undefined;
}
