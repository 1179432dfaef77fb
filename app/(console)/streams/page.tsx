import type { Metadata } from "next";
import { requirePermission } from "@/lib/auth/guard";
import { listStreams } from "@/lib/data/streams";
import { getDb } from "@/lib/server/db";
import { CreateStreamForm } from "./_components/create-stream-form";
import { StreamsTable } from "./_components/streams-table";

export const metadata: Metadata = { title: "Streams" };
export const dynamic = "force-dynamic";

export default async function StreamsPage() {
  const authority = await requirePermission("streams.manage");
  const streams = await listStreams(await getDb(), authority);
  return (
    <>
      <h1>Streams</h1>
      <p className="muted">
        Send your tenants' events to a SIEM or a webhook as they land: at least once, in chain order, with the
        event id as the idempotency key. A new stream starts with the next event; replay from a point to send
        older ones. Formats, headers and a receiver's signature check are in <code>docs/streams.md</code>.
      </p>
      <StreamsTable
        streams={streams.map((s) => ({
          ...s,
          nextAttemptAt: s.nextAttemptAt?.toISOString() ?? null,
          lastSuccessAt: s.lastSuccessAt?.toISOString() ?? null,
          createdAt: s.createdAt.toISOString(),
        }))}
      />
      <h2>Add a stream</h2>
      <CreateStreamForm tenants={[...authority.tenants]} />
    </>
  );
}
