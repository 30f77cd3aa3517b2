import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const INSTALLER = fileURLToPath(new URL("../../cli/source-mapped-stacks.ts", import.meta.url));

/**
 * A program bundled the way scripts/bundle.mjs bundles gaia (minified, linked map, under dist/),
 * which installs the stack mapping as dist/cli/gaia.js does, then prints the stack of an error
 * thrown at fail.ts line 4, column 9.
 */
async function bundledProgram(): Promise<{ root: string; program: string; source: string }> {
  const root = mkdtempSync(join(tmpdir(), "gaia-stacks-"));
  const source = join(root, "fail.ts");
  writeFileSync(source, ["// line 1", "export function failHere(): never {", '  const reason: string = "boom";', "  throw new Error(reason);", "}", ""].join("\n"));
  const entry = join(root, "main.ts");
  writeFileSync(entry, [
    `import { installSourceMappedStacks } from ${JSON.stringify(INSTALLER)};`,
    'import { failHere } from "./fail.js";',
    'installSourceMappedStacks(new URL(".", import.meta.url));',
    "try { failHere(); } catch (error) { process.stdout.write(String((error as Error).stack)); }",
    "",
  ].join("\n"));
  mkdirSync(join(root, "dist"));
  await build({ entryPoints: [entry], outdir: join(root, "dist"), bundle: true, format: "esm", platform: "node", sourcemap: "linked", sourcesContent: false, minifyWhitespace: true, minifySyntax: true, keepNames: true, logLevel: "silent" });
  return { root, program: join(root, "dist", "main.js"), source };
}

describe("stack traces of the bundle", () => {
  const roots: string[] = [];
  afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

  it("name the TypeScript file, line and column of a bundled frame", async () => {
    const { root, program, source } = await bundledProgram();
    roots.push(root);
    const stack = execFileSync(process.execPath, [program], { encoding: "utf8" }).split("\n");
    expect(stack[0]).toBe("Error: boom");
    expect(stack[1]).toBe(`    at failHere (${source}:4:9)`);
    // The module's top level (main.ts line 4, `failHere()`), named as node names it with source maps on.
    expect(stack[2]).toBe(`    at <anonymous> (${join(root, "main.ts")}:4:7)`);
  });

  it("leave the bundle's own position when its map is missing", async () => {
    const { root, program } = await bundledProgram();
    roots.push(root);
    rmSync(`${program}.map`);
    const stack = execFileSync(process.execPath, [program], { encoding: "utf8" }).split("\n");
    expect(stack[0]).toBe("Error: boom");
    expect(stack[1]).toMatch(/^ {4}at failHere \(file:\/\/.*\/dist\/main\.js:\d+:\d+\)$/);
    expect(stack[1]).toContain(pathToFileURL(program).href);
  });
});
