import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Stack traces that name gaia's TypeScript files, with the source maps read only when a stack is
 * first formatted. Node's own source map support (`process.setSourceMapsEnabled`) reads and parses
 * the map of every module as it loads, and measures every line of its code: about 20–30 ms of
 * every start (a CPU profile of `gaia start` on a 2-core machine) and the maps kept in memory,
 * for stack traces that a healthy monitor rarely formats.
 *
 * Only the files under `root` (dist/, whose maps cover gaia's own sources: scripts/bundle.mjs)
 * are mapped; a frame elsewhere, or one a map does not cover, reads as V8 writes it. The format is
 * node's own for source-mapped frames: `at name (/path/to/file.ts:LINE:COLUMN)`.
 */
export function installSourceMappedStacks(root: URL): void {
  const rootHref = root.href;
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (fileUrl: string): SourceMap | undefined => {
    if (!maps.has(fileUrl)) maps.set(fileUrl, readMap(fileUrl));
    return maps.get(fileUrl);
  };
  Error.prepareStackTrace = (error: Error, trace: NodeJS.CallSite[]): string => {
    const frames = trace.map((frame) => {
      try {
        const file = frame.getFileName();
        const line = frame.getLineNumber();
        const column = frame.getColumnNumber();
        if (!file?.startsWith(rootHref) || line === null || column === null) return `${frame}`;
        const entry = mapOf(file)?.findEntry(line - 1, column - 1);
        if (!entry || !("originalSource" in entry) || !entry.originalSource) return `${frame}`;
        const functionName = frame.getFunctionName() ?? frame.getMethodName();
        const typeName = frame.getTypeName();
        const name = `${typeName !== null && typeName !== "global" ? `${typeName}.` : ""}${functionName ?? "<anonymous>"}`;
        const where = `${sourcePath(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
        return `${frame.isAsync() ? "async " : ""}${frame.isConstructor() ? "new " : ""}${name} (${where})`;
      } catch {
        return `${frame}`;
      }
    });
    const head = errorHead(error);
    return frames.length === 0 ? head : `${head}\n    at ${frames.join("\n    at ")}`;
  };
}

/** The source map linked from a bundled file (`FILE.js.map`), with its sources made absolute; undefined when none. */
function readMap(fileUrl: string): SourceMap | undefined {
  try {
    const mapUrl = new URL(`${fileUrl}.map`);
    const payload = JSON.parse(readFileSync(mapUrl, "utf8")) as SourceMapPayload;
    payload.sources = payload.sources.map((source) => new URL(source, mapUrl).href);
    return new SourceMap(payload);
  } catch {
    return undefined;
  }
}

function sourcePath(source: string): string {
  return source.startsWith("file://") ? fileURLToPath(source) : source;
}

/** What V8 writes before the frames: `Name: message` (Error.prototype.toString). */
function errorHead(error: Error): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return "<error>";
  }
}
