/** @type {import('next').NextConfig} */
const nextConfig = {
  // Loaded by Node at run time, not bundled: wasm and native modules, and the database drivers.
  serverExternalPackages: ["@biscuit-auth/biscuit-wasm", "@electric-sql/pglite", "@node-rs/argon2", "pg"],
  experimental: { authInterrupts: true },
  poweredByHeader: false,
  // Type errors are caught once by \`npm run check\` (tsc --noEmit), which \`npm test\` runs first.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
      // Pages get a per-request policy with a nonce from proxy.ts; everything the proxy does
      // not see (API routes) gets one that loads nothing and may not be framed.
      {
        source: "/api/:path*",
        headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'" }],
      },
    ];
  },
};

export default nextConfig;
