import { StringDecoder } from "node:string_decoder";
import { createRedactor, type Redact } from "../config/redact.js";

/** The most characters of output a run report carries (CONTRACT section 6). */
export const OUTPUT_TAIL_LIMIT = 4000;

/**
 * Keeps the end of a job's combined output (standard output and error, in arrival order) for its
 * run report. Far more than the tail is kept until the end, so that redaction sees whole tokens:
 * a secret cut in half by the window would no longer match and half of it would leak.
 */
export class OutputTail {
  private text = "";
  private readonly decoders = new Map<string, StringDecoder>();

  constructor(private readonly windowChars = 64 * 1024) {}

  /** Adds a chunk of one stream; each stream has its own decoder so a split UTF-8 character survives. */
  push(stream: "stdout" | "stderr", chunk: Buffer | string): void {
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new StringDecoder("utf8")));
    this.append(typeof chunk === "string" ? chunk : decoder.write(chunk));
  }

  /** Adds a line gaia itself wants in the report (e.g. why the command could not start). */
  note(line: string): void {
    this.append(`${this.text === "" || this.text.endsWith("\n") ? "" : "\n"}${line}\n`);
  }

  /**
   * The last lines, at most `limit` characters, redacted (before the cut), terminal escape
   * sequences removed and a partial first line dropped.
   */
  tail(redact: Redact = createRedactor(), limit = OUTPUT_TAIL_LIMIT): string {
    let text = this.text;
    for (const decoder of this.decoders.values()) text += decoder.end();
    return tailOf(redact(cleanTerminalText(text)), limit);
  }

  private append(piece: string): void {
    this.text += piece;
    if (this.text.length > this.windowChars * 2) this.text = this.text.slice(-this.windowChars);
  }
}

/** Removes colour and cursor sequences and turns carriage-return progress lines into lines. */
function cleanTerminalText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]/g, "")
      .replace(/\r\n?/g, "\n")
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "")
  );
}

/** The end of `text` in at most `limit` characters, starting at a line when it had to be cut. */
function tailOf(text: string, limit: number): string {
  const trimmed = text.replace(/\n+$/, "");
  if (trimmed.length <= limit) return trimmed;
  const marker = "…\n";
  let cut = trimmed.slice(-(limit - marker.length));
  const newline = cut.indexOf("\n");
  // Drop the partial first line unless it is the only line there is.
  if (newline >= 0 && newline < cut.length - 1) cut = cut.slice(newline + 1);
  return marker + cut;
}
