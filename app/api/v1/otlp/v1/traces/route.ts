import { postTraces } from "../../handler";

// OTEL_EXPORTER_OTLP_ENDPOINT=<console>/api/v1/otlp: the exporter appends /v1/traces.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function POST(request: Request): Promise<Response> {
  return postTraces(request);
}
