import fs from "node:fs";

// Flags for Chromium on machines with no network but the package registries: without the
// background-networking ones, it keeps trying to reach Google's services at every start.
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** CHROMIUM_PATH, or a system Chromium/Chrome; undefined lets Playwright use its own build. */
export function systemChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    env.CHROMIUM_PATH,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  return candidates.find((c): c is string => Boolean(c && fs.existsSync(c)));
}
