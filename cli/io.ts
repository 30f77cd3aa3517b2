/** What a CLI command may touch of its surroundings, injected so that tests can drive it. */
export interface CliIo {
  argv: readonly string[];
  processEnv: NodeJS.ProcessEnv;
  cwd: string;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

/** Writes one line to a stream. */
export function writeLine(stream: NodeJS.WritableStream, text = ""): void {
  stream.write(`${text}\n`);
}
