/**
 * `npm run build`: dist/ as one esbuild bundle, whose entry is dist/cli/gaia.js (package.json `bin`).
 *
 * Why a bundle: node spends most of a start resolving, reading and compiling thousands of small
 * files under node_modules/; one file per command starts in about half the time and holds less
 * memory (see the README's Benchmarks). Each `gaia` subcommand is still imported when it runs
 * (cli/gaia.ts), so `splitting` keeps them as chunks under dist/chunks/: `gaia run`, started for
 * every scheduled job, still loads neither grammY nor TypeORM.
 *
 * External (left in node_modules/): better-sqlite3, a native addon that finds its .node file
 * relative to its own folder. Types are checked by `npm run typecheck` (tsc --noEmit), not here.
 * Decorators: esbuild compiles TypeScript's experimental decorators (tsconfig.json) but does not
 * emit their type metadata, so every entity column names its type explicitly.
 * Source maps: dist/cli/gaia.js maps stack traces through them (cli/source-mapped-stacks.ts), so they name
 * the TypeScript files; the maps cover gaia's own files only (own-source-map.mjs says why).
 */
import { build } from "esbuild";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ownSourceMap } from "./own-source-map.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist");

/**
 * TypeORM's DriverFactory imports every database driver it knows (MySQL, Oracle, SAP HANA,
 * MongoDB, React Native…): about 1 MB of code that gaia, on SQLite (better-sqlite3) or PostgreSQL
 * (pg), never runs. In the bundle each of those drivers is a class that refuses to be built.
 */
const UNUSED_TYPEORM_DRIVERS = ["aurora-mysql", "aurora-postgres", "capacitor", "cockroachdb", "cordova", "expo", "mongodb", "mysql", "nativescript", "oracle", "react-native", "sap", "spanner", "sqljs", "sqlserver"];
const typeormDriversInUse = {
  name: "typeorm-drivers-in-use",
  setup(build) {
    const filter = new RegExp(`[\\/]node_modules[\\/]typeorm[\\/]driver[\\/](${UNUSED_TYPEORM_DRIVERS.join("|")})[\\/]\\w+Driver\\.js$`);
    build.onLoad({ filter }, (args) => {
      const name = basename(args.path, ".js");
      const message = `gaia's build leaves out TypeORM's ${name}: gaia keeps its data in SQLite or PostgreSQL`;
      return { contents: `"use strict";\nclass ${name} { constructor() { throw new Error(${JSON.stringify(message)}); } }\nexports.${name} = ${name};\n`, loader: "js" };
    });
  },
};

/**
 * node-fetch 2 (grammY's HTTP client on Node) imports whatwg-url, with tr46's Unicode tables
 * (about 290 KB of code to compile and run at every start), only as a fallback for runtimes
 * without a URL class: it uses `require("url").URL || whatwgUrl.URL`, and node always has the
 * first. In the bundle, node-fetch's whatwg-url is node's own URL.
 */
const nodeFetchUsesNodeUrl = {
  name: "node-fetch-uses-node-url",
  setup(build) {
    build.onResolve({ filter: /^whatwg-url$/ }, (args) =>
      /[\\/]node_modules[\\/]node-fetch[\\/]/.test(args.importer) ? { path: "whatwg-url", namespace: "node-url" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "node-url" }, () => ({ contents: 'import { URL } from "node:url";\nexport { URL };\nexport default { URL };\n', loader: "js" }));
  },
};

rmSync(DIST, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  // container-healthcheck: the Dockerfile's HEALTHCHECK, a small program of its own (no gaia subcommand to load).
  entryPoints: ["cli/gaia.ts", "cli/container-healthcheck.ts"],
  outdir: "dist",
  outbase: ".",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  sourcesContent: false,
  chunkNames: "chunks/[name]-[hash]",
  external: ["better-sqlite3"],
  plugins: [typeormDriversInUse, nodeFetchUsesNodeUrl],
  // The CommonJS packages inside an ES module bundle call require() for node's own modules.
  banner: { js: 'import { createRequire as __gaiaCreateRequire } from "node:module"; const require = __gaiaCreateRequire(import.meta.url);' },
  // Less source text for node to scan, parse and keep: about 9 MB less memory and a little less
  // start-up than the unminified bundle. Identifiers stay (stack traces inside packages keep their
  // function names; keepNames also keeps `.name` where esbuild renames to avoid a clash).
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  logLevel: "warning",
});

for (const entry of readdirSync(DIST, { recursive: true, encoding: "utf8" })) {
  if (!entry.endsWith(".js.map")) continue;
  const file = join(DIST, entry);
  const map = JSON.parse(readFileSync(file, "utf8"));
  // gaia's own: a file of this checkout outside node_modules/.
  const isOwn = (source) => {
    const path = resolve(dirname(file), source);
    const fromRoot = relative(ROOT, path);
    return !fromRoot.startsWith("..") && !fromRoot.split("/").includes("node_modules") && existsSync(path);
  };
  writeFileSync(file, JSON.stringify(ownSourceMap(map, isOwn)));
}
