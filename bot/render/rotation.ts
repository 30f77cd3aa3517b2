import type { RenderedMessage } from "./html.js";

/**
 * The answer to /rotate in this version: guided token rotation is not built yet, so say so and
 * say what works today, rather than pretending the command is unknown.
 */
export function renderRotationUnavailable(configured: boolean): RenderedMessage {
  const lines = configured
    ? [
        "<b>Token rotation is not available in this version of Gaia yet.</b>",
        "Rotate the token by hand for now: create the new one, put it in .private/.env as GITHUB_TOKEN, run <code>gaia check</code> to verify it, then revoke the old one.",
      ]
    : [
        "<b>Token rotation is off:</b> gaia.yml has no <code>github:</code> section.",
        "It is also not available in this version of Gaia yet.",
      ];
  return { text: lines.join("\n") };
}

/** The answer to /cancel when no guided flow is running. */
export function renderNothingToCancel(): RenderedMessage {
  return { text: "Nothing to cancel." };
}
