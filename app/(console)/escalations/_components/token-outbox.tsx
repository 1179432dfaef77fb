"use client";

import { createContext, type ReactNode, useContext, useState } from "react";
import { TokenOnce } from "./token-once";

interface ShownToken {
  token: string;
  expiresAt?: string;
}

const ShowToken = createContext<(shown: ShownToken) => void>(() => {});

/**
 * Holds a token an approval returned (console delivery), above the table rows: approving moves
 * the row to Active, and any other action on the page re-renders the tables, but the token stays
 * here until the admin presses Done. It lives only in this browser tab's memory.
 */
export function TokenOutbox({ children }: { children: ReactNode }) {
  const [shown, setShown] = useState<ShownToken | null>(null);
  return (
    <ShowToken.Provider value={setShown}>
      {shown && <TokenOnce token={shown.token} expiresAt={shown.expiresAt} onDone={() => setShown(null)} />}
      {children}
    </ShowToken.Provider>
  );
}

export const useShowToken = () => useContext(ShowToken);
