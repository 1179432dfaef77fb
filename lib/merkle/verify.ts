// Proof verification as RFC 9162 §2.1.3.2 and §2.1.4.2 give it: one implementation, the offline
// verifier's in the package (packages/sdk/src/evidence/merkle.ts), so what the console checks
// (verify-log, the tests) is exactly what an auditor's CLI and the browser page check.
export { verifyConsistency, verifyInclusion } from "@capability-console/sdk/evidence";
