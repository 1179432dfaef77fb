import base from "./playwright.config";
export default {
  ...base,
  webServer: undefined,
  projects: [{ ...base.projects![0], use: { ...base.projects![0].use, baseURL: "http://localhost:3340" }, metadata: { dataDir: "/tmp/tmp.VZOfRcW6rb/pglite" } }],
};
