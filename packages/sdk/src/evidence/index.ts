export * from "./bundle";
export { fromBase64, toBase64, toHex } from "./bytes";
export { type CliIo, formatReport, runVerifyBundle, VERIFY_BUNDLE_USAGE } from "./cli";
export { verifyConsistency, verifyInclusion } from "./merkle";
export {
  FormatError,
  openNote,
  parseCheckpointText,
  parseTlogProof,
  parseVkey,
  type VerifierKey,
} from "./note";
export * from "./verify";
