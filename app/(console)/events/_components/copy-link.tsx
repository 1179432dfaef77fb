"use client";

import { useState } from "react";

/** Copies the event's permalink (absolute) and says so; the link stays visible if copying fails. */
export function CopyLink({ href }: { href: string }) {
  const [status, setStatus] = useState("");
  return (
    <>
      <button
        type="button"
        data-testid="copy-link"
        onClick={async () => {
          const url = new URL(href, window.location.origin).toString();
          try {
            await navigator.clipboard.writeText(url);
            setStatus("Link copied.");
          } catch {
            setStatus(`Copy this link: ${url}`);
          }
        }}
      >
        Copy link
      </button>
      <span role="status" className="muted copy-status">
        {status}
      </span>
    </>
  );
}
