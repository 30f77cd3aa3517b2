import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from "node:fs";

/** Why a file could not be read as a small regular file. */
export type UnreadableFile =
  | { problem: "missing" }
  | { problem: "dangling-link"; target: string }
  | { problem: "directory" }
  | { problem: "not-regular" }
  | { problem: "too-large"; maxBytes: number }
  | { problem: "unreadable"; code: string };

export type RegularFileRead = { ok: true; text: string; mode: number } | ({ ok: false } & UnreadableFile);

/**
 * Reads a file only if it is a regular file of at most `maxBytes`, without ever blocking: it is
 * opened with O_NONBLOCK (opening a FIFO for reading waits for a writer otherwise), its type is
 * checked on the open descriptor (no race with a swap after a stat), and at most `maxBytes + 1`
 * bytes are read (a /dev/zero or a huge file would be read without end). A larger file is refused,
 * or with `prefix` its first `maxBytes` are the text. A path that does not exist is told apart
 * from a symbolic link to nothing. `mode` is the file's permission bits.
 */
export function readRegularFile(
  path: string,
  maxBytes: number,
  options: { encoding?: BufferEncoding; prefix?: boolean } = {},
): RegularFileRead {
  const encoding = options.encoding ?? "utf8";
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (code === "ENOENT") return danglingLink(path) ?? { ok: false, problem: "missing" };
    if (code === "ENXIO") return { ok: false, problem: "not-regular" }; // a socket
    return { ok: false, problem: "unreadable", code };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { ok: false, problem: "directory" };
    if (!stat.isFile()) return { ok: false, problem: "not-regular" };
    if (stat.size > maxBytes && !options.prefix) return { ok: false, problem: "too-large", maxBytes };
    const buffer = Buffer.alloc(options.prefix ? maxBytes : maxBytes + 1);
    let length = 0;
    // A regular file may still grow while it is read: stop one byte past the limit.
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) return { ok: false, problem: "too-large", maxBytes };
    return { ok: true, text: buffer.subarray(0, length).toString(encoding), mode: stat.mode & 0o777 };
  } catch (error) {
    return { ok: false, problem: "unreadable", code: (error as NodeJS.ErrnoException).code ?? String(error) };
  } finally {
    closeSync(fd);
  }
}

/** What a problem of `readRegularFile` means to a person, e.g. "is a FIFO, socket or device, not a regular file". */
export function describeUnreadable(result: UnreadableFile): string {
  switch (result.problem) {
    case "missing":
      return "does not exist";
    case "dangling-link":
      return `is a symbolic link to ${result.target}, which does not exist`;
    case "directory":
      return "is a directory, not a file";
    case "not-regular":
      return "is a FIFO, socket or device, not a regular file";
    case "too-large":
      return `is larger than ${result.maxBytes} bytes`;
    case "unreadable":
      return `cannot be read (${result.code})`;
  }
}

function danglingLink(path: string): ({ ok: false } & UnreadableFile) | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    return { ok: false, problem: "dangling-link", target: readlinkSync(path) };
  } catch {
    return undefined;
  }
}
