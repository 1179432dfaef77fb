// The Content-Security-Policy of every page. Scripts run only with this response's nonce
// (Next puts it on its own inline and chunk scripts when it finds it in the request's CSP
// header); 'strict-dynamic' lets those scripts load the chunks they import. Styles allow
// inline `style` attributes, which React Flow and the charts set on every node.

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

export function contentSecurityPolicy(args: { nonce: string; dev: boolean }): string {
  return [
    "default-src 'self'",
    // React in development evaluates code for its call stacks; production never does.
    `script-src 'self' 'nonce-${args.nonce}' 'strict-dynamic'${args.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
