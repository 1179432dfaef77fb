import { createLoader, parseAsString } from "nuqs/server";

// /compare?kind=capability|request&tenant=<t>&a=<id>&b=<id>: a contract other pages link to
// (the request page's and the capability page's "Compare with…"). kind is read as a string so
// a wrong value gets a message naming the field instead of silently turning into the default.
export const compareParsers = {
  kind: parseAsString,
  tenant: parseAsString,
  a: parseAsString,
  b: parseAsString,
};
export const loadCompareParams = createLoader(compareParsers);

export function compareHref(p: {
  kind: string;
  tenant?: string | null;
  a?: string | null;
  b?: string | null;
}) {
  const q = new URLSearchParams({ kind: p.kind });
  if (p.tenant) q.set("tenant", p.tenant);
  if (p.a) q.set("a", p.a);
  if (p.b) q.set("b", p.b);
  return `/compare?${q.toString()}`;
}
