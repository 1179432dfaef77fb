import "server-only";
import { createSearchParamsCache } from "nuqs/server";
import { explorerParsers } from "./url-state";

/** The explorer's URL state on the server, parsed once per request with the client's parsers. */
export const explorerCache = createSearchParamsCache(explorerParsers);
