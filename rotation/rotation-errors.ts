/**
 * A rotation step that cannot go on, with a message for the admin (no secret in it). `code` says
 * what kind of failure it is, for the audit trail and the chat.
 */
export class RotationFailed extends Error {
  constructor(
    message: string,
    readonly code: "refused" | "invalid-token" | "wrong-account" | "store-failed" | "smoke-test-failed" | "unreachable" | "busy" | "not-configured" | "gone",
  ) {
    super(message);
    this.name = "RotationFailed";
  }
}
