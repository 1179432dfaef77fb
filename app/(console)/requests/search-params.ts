import { createLoader, createSerializer, parseAsString, parseAsStringLiteral } from "nuqs/server";

// URL state of the Requests and Sessions listings and the request page: one set of parsers for
// the server (loader, links) and the client (search box, view switch), so they cannot drift.

export const listParsers = {
  q: parseAsString.withDefault(""),
  cursor: parseAsString,
  dir: parseAsStringLiteral(["next", "prev"] as const),
};
export const requestsParsers = { ...listParsers, session: parseAsString, tenant: parseAsString };
export const loadRequestsParams = createLoader(requestsParsers);
export const requestsHref = createSerializer(requestsParsers);

export const REQUEST_VIEWS = ["graph", "timeline"] as const;
export type RequestView = (typeof REQUEST_VIEWS)[number];
export const requestViewParsers = {
  // The graph stays the default: links made before the timeline existed open what they showed.
  view: parseAsStringLiteral(REQUEST_VIEWS).withDefault("graph"),
  tenant: parseAsString,
};
export const loadRequestView = createLoader(requestViewParsers);

export const SESSION_STATUS_VALUES = ["open", "revoked", "reported"] as const;
export const sessionsParsers = { ...listParsers, status: parseAsStringLiteral(SESSION_STATUS_VALUES) };
export const loadSessionsParams = createLoader(sessionsParsers);
export const sessionsHref = createSerializer(sessionsParsers);

/** A request's page, in its tenant (request ids are unique per tenant only). */
export function requestHref(request: string, tenant: string, view?: RequestView): string {
  const p = new URLSearchParams({ tenant });
  if (view && view !== "graph") p.set("view", view);
  return `/requests/${encodeURIComponent(request)}?${p.toString()}`;
}

export function capabilityHref(id: string, tenant: string): string {
  return `/capabilities/${encodeURIComponent(id)}?tenant=${encodeURIComponent(tenant)}`;
}
