import { describe, expect, it } from "vitest";
import { containerCheckLine } from "../../cli/commands/check.js";

describe("gaia check: a container service", () => {
  it("says what to grant when the socket may not be opened (EACCES)", () => {
    const line = containerCheckLine("jellyfin", "jellyfin", { state: "unreachable", problem: "EACCES" }, "/var/run/docker.sock");
    expect(line.ok).toBe(false);
    expect(line.text).toContain("add it to the docker group (sudo usermod -aG docker $USER, then log in again)");
    expect(line.text).toContain("read-only socket proxy");
    expect(line.text).toContain("docker.socket");
  });
  it("names an exited container's code", () => {
    expect(containerCheckLine("db", "postgres", { state: "exited", exitCode: 1 }, "/s").text).toBe("service db: container postgres is exited (exit code 1) (it would be reported down)");
  });
});
