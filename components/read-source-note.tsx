import type { ReadSource } from "@/db/replica";
import { describeReadSource } from "@/lib/format/read-source";

/** "Read from the replica, 0.3 s behind." under a page heading; nothing without a replica. */
export function ReadSourceNote({ source }: { source: ReadSource }) {
  const text = describeReadSource(source);
  if (!text) return null;
  return (
    <p className="muted read-source" role="note" data-testid="read-source" data-from={source.from}>
      {text}
    </p>
  );
}
