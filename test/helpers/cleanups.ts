import { afterEach } from "vitest";

/**
 * Registers an afterEach that runs, newest first, everything deferred during the test (stop a
 * server, close a database, remove a temp folder). Call once inside a `describe`.
 */
export function deferCleanups(): (cleanup: () => unknown) => void {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}
