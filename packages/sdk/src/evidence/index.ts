export * from "./bundle.js";
export { fromBase64, toBase64, toHex } from "./bytes.js";
export { type CliIo, formatReport, runVerifyBundle, VERIFY_BUNDLE_USAGE } from "./cli.js";
export { verifyConsistency, verifyInclusion } from "./merkle.js";
export {
  FormatError,
  openNote,
  parseCheckpointText,
  parseTlogProof,
  parseVkey,
  type VerifierKey,
} from "./note.js";
export * from "./verify.js";
