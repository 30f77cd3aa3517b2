import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Secret } from "../../config/secret.js";
import { CommandStore } from "../../rotation/command-store.js";
import { EnvFileStore, readKey, replaceKey } from "../../rotation/env-file-store.js";
import { fakeToken } from "../e2e/rotation-harness.js";

describe("secret stores", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "gaia-stores-"));
    dirs.push(dir);
    return dir;
  };

  it("env-file replaces only GITHUB_TOKEN (0600, atomically), keeps comments and other keys, and keeps a 0600 backup until finished", async () => {
    const dir = tempDir();
    const file = join(dir, ".env");
    const old = fakeToken("ghp_");
    const fresh = fakeToken("github_pat_");
    writeFileSync(file, `# secrets\nTELEGRAM_BOT_TOKEN=x\nexport GITHUB_TOKEN=${old}\nOTHER=1\n`, { mode: 0o600 });
    const store = new EnvFileStore(file);
    await store.write(new Secret(fresh));
    expect(readFileSync(file, "utf8")).toBe(`# secrets\nTELEGRAM_BOT_TOKEN=x\nGITHUB_TOKEN=${fresh}\nOTHER=1\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(store.backupFile, "utf8")).toContain(old);
    expect(statSync(store.backupFile).mode & 0o777).toBe(0o600);
    expect((await store.readBack())?.reveal()).toBe(fresh);
    await store.finish();
    expect(() => statSync(store.backupFile)).toThrow();
  });

  it("env-file adds the key when the file has none", () => {
    expect(replaceKey("A=1\n", "GITHUB_TOKEN", "v")).toBe("A=1\nGITHUB_TOKEN=v\n");
    expect(readKey('GITHUB_TOKEN="quoted"\n', "GITHUB_TOKEN")).toBe("quoted");
  });

  it("command gets the token on standard input only, never in its arguments or environment", async () => {
    const dir = tempDir();
    const token = fakeToken("github_pat_");
    const script = `cat > ${join(dir, "stdin")}; echo "$0 $*" > ${join(dir, "args")}; env > ${join(dir, "env")}`;
    await new CommandStore(script, { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }).write(new Secret(token));
    expect(readFileSync(join(dir, "stdin"), "utf8")).toBe(`${token}\n`);
    expect(readFileSync(join(dir, "args"), "utf8")).not.toContain(token);
    expect(readFileSync(join(dir, "env"), "utf8")).not.toContain(token);
  });

  it("command's failure names the exit code and its stderr, with the token redacted", async () => {
    const dir = tempDir();
    const token = fakeToken("github_pat_");
    const store = new CommandStore("read t; echo \"refused $t\" >&2; exit 4", { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
    const error = await store.write(new Secret(token)).catch((e: Error) => e);
    expect((error as Error).message).toBe("command read failed (exit code 4): refused [REDACTED]");
  });
});
