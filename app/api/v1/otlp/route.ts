import { postTraces } from "./handler";

// The bare path: an exporter given `url: <console>/api/v1/otlp` posts here verbatim (the SDKs
// append /v1/traces only to OTEL_EXPORTER_OTLP_ENDPOINT, not to an explicit traces URL).
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function POST(request: Request): Promise<Response> {
  return postTraces(request);
}
