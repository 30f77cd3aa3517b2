import { spawnSync } from "node:child_process";
import { chownSync } from "node:fs";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { deferCleanups } from "../helpers/cleanups.js";
import { GAIA_BIN } from "../helpers/gaia-process.js";
import { makeTempHome } from "../helpers/temp-home.js";

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

// Needs root to run gaia as another user (.ci/run runs as root in its container); skipped otherwise.
describe.skipIf(!isRoot)("a port whose process gaia may not see", () => {
  const defer = deferCleanups();

  it("gaia check, run as an unprivileged user, says the port listens but its process is hidden, and what to grant", async () => {
    // A listener owned by root: an unprivileged gaia sees the socket in /proc/net/tcp, not its /proc/PID/fd.
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    defer(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as AddressInfo).port;

    const home = makeTempHome("gaia-port-");
    defer(() => home.cleanup());
    home.writeConfig(`telegram:\n  admins: [1]\nservices:\n  - name: web\n    match: { port: ${port} }\n`);
    chownSync(home.home, NOBODY, NOBODY);
    chownSync(`${home.home}/gaia.yml`, NOBODY, NOBODY);

    const result = spawnSync(process.execPath, [GAIA_BIN, "check", "--offline"], {
      cwd: home.home,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home.home, GAIA_HOME: home.home },
      uid: NOBODY,
      gid: NOBODY,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.stdout).toMatch(new RegExp(`✓ service web: port ${port} is listening, but gaia \\(running as user \\w+\\) cannot see which process owns it`));
    expect(result.stdout).toContain("needs root or CAP_SYS_PTRACE");
    expect(result.stdout).toContain("cap_add: [SYS_PTRACE]");
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });
});
