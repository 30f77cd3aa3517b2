/**
 * The flags node is started with where gaia is deployed: deploy/gaia.service's ExecStart, the
 * Dockerfile's ENTRYPOINT and `npm start` (test/deploy/node-flags.test.ts keeps the three the
 * same as this list). The benchmark starts gaia and its simulated week with them, as shipped.
 *
 * --v8-pool-size=1: one V8 worker thread (for concurrent garbage collection and compiling)
 * instead of four. Each worker thread grows a glibc malloc arena of its own; with one, a
 * simulated week of probing held about 11 MB less RSS and grew less after its first hour, and
 * `gaia start` measured no slower to start and no more idle CPU (README, Benchmarks). Not in
 * NODE_OPTIONS: the jobs and restart commands gaia runs inherit its environment.
 */
export const SHIPPED_NODE_FLAGS: readonly string[] = ["--v8-pool-size=1"];
