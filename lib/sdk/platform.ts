// The platform verifier lives in the SDK package (packages/sdk/src/client/platform.ts).
export {
  applyRevocation,
  type ConsoleClientOptions,
  createPlatformVerifier,
  fetchKeys,
  type PlatformVerifier,
  type PublishedKey,
  type RevocationFeedEntry,
  RevocationFollower,
} from "@capability-console/sdk";
