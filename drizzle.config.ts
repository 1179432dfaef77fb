import { defineConfig } from "drizzle-kit";

// Migrations are generated (npm run db:generate), reviewed and committed; never pushed.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema.ts",
  out: "./db/migrations",
});
