// Real OpenTelemetry SDK spans, finished and collected in memory, for the OTLP tests: what an
// instrumented agent's exporter would serialize.
import { type Attributes, context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

export interface SpanSpec {
  name: string;
  attributes?: Attributes;
  kind?: SpanKind;
  error?: string;
  children?: SpanSpec[];
  events?: { name: string; attributes?: Attributes }[];
}

/** Runs the specs as nested spans under one trace and returns them as the SDK finished them. */
export async function finishedSpans(
  specs: SpanSpec[],
  resource: Attributes = { "service.name": "support-bot" },
): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("otlp-tests", "1.0.0");
  const run = (spec: SpanSpec, ctx = context.active()) => {
    const span = tracer.startSpan(
      spec.name,
      { kind: spec.kind ?? SpanKind.INTERNAL, attributes: spec.attributes },
      ctx,
    );
    for (const e of spec.events ?? []) span.addEvent(e.name, e.attributes);
    const inner = trace.setSpan(ctx, span);
    for (const c of spec.children ?? []) run(c, inner);
    if (spec.error) span.setStatus({ code: SpanStatusCode.ERROR, message: spec.error });
    span.end();
  };
  for (const s of specs) run(s);
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export { SpanKind };
