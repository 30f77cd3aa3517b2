/**
 * Cuts an esbuild source map down to gaia's own files. With source maps on, node reads and parses
 * the map of every file it loads; the maps of the bundled packages (TypeORM, grammY…)
 * cost about 10 MB of memory and a fifth more start-up CPU, and a stack frame inside a package is
 * read well enough at its bundle line. Segments of node_modules/ sources become unmapped
 * (generated column only), so no bundled package's code is ever attributed to a gaia file. (The
 * packages' sources are not always under node_modules/ in the map: esbuild follows their own maps,
 * so TypeORM's files read "../../src/…"; the caller decides what is gaia's.)
 */
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

function decodeSegment(text) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function encodeValue(value) {
  let vlq = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = "";
  do {
    let digit = vlq & 31;
    vlq >>>= 5;
    if (vlq > 0) digit |= 32;
    out += BASE64[digit];
  } while (vlq > 0);
  return out;
}

/** The map with only the sources `keep` accepts; names are dropped (stack traces use V8's). */
export function ownSourceMap(map, keep) {
  const newIndex = new Map();
  const sources = [];
  map.sources.forEach((source, index) => {
    if (keep(source)) {
      newIndex.set(index, sources.length);
      sources.push(source);
    }
  });
  // Absolute state of the decoder and of the encoder (VLQ fields are deltas).
  let source = 0, line = 0, column = 0;
  let outSource = 0, outLine = 0, outColumn = 0;
  // Whether the last segment written maps to a kept source: one unmapped marker ends such a run,
  // and lookups between markers (on later lines too) find the marker, i.e. no source.
  let lastMapped = false;
  let anyWritten = false;
  const lines = map.mappings.split(";").map((text) => {
    let generated = 0, outGenerated = 0;
    const out = [];
    for (const segment of text ? text.split(",") : []) {
      const fields = decodeSegment(segment);
      generated += fields[0];
      let mapped = false;
      if (fields.length >= 4) {
        source += fields[1];
        line += fields[2];
        column += fields[3];
        mapped = newIndex.has(source);
      }
      if (!mapped && !lastMapped && anyWritten) continue;
      let encoded = encodeValue(generated - outGenerated);
      outGenerated = generated;
      if (mapped) {
        const s = newIndex.get(source);
        encoded += encodeValue(s - outSource) + encodeValue(line - outLine) + encodeValue(column - outColumn);
        outSource = s;
        outLine = line;
        outColumn = column;
      }
      out.push(encoded);
      lastMapped = mapped;
      anyWritten = true;
    }
    return out.join(",");
  });
  return { version: 3, sources, names: [], mappings: lines.join(";") };
}
