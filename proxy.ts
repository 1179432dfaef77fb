import { type NextRequest, NextResponse } from "next/server";

// Server actions are POSTs to a page with a Next-Action header. Next itself rejects a foreign
// Origin; this also refuses one with no Origin at all (a script, not a browser form), so only
// same-origin browsers can call them. Authorization is still each action's own guard.
export function proxy(request: NextRequest) {
  if (request.method === "POST" && request.headers.has("next-action")) {
    const origin = request.headers.get("origin");
    const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
    let sameOrigin = false;
    try {
      sameOrigin = origin !== null && new URL(origin).host === host;
    } catch {
      sameOrigin = false;
    }
    if (!sameOrigin) {
      return NextResponse.json(
        {
          error:
            "Server actions are accepted from this console's own pages only (Origin missing or foreign).",
        },
        { status: 403 },
      );
    }
  }
  return NextResponse.next();
}

export const config = { matcher: ["/((?!_next/static|_next/image|api/).*)"] };
