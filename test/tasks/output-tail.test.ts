import { createRedactor } from "../../config/redact.js";
import { describe, expect, it } from "vitest";
import { OUTPUT_TAIL_LIMIT, OutputTail } from "../../tasks/output-tail.js";

describe("the output tail of a run report", () => {
  it("keeps stdout and stderr in arrival order, without a trailing newline", () => {
    const tail = new OutputTail();
    tail.push("stdout", Buffer.from("starting\n"));
    tail.push("stderr", Buffer.from("warning: slow disk\n"));
    tail.push("stdout", Buffer.from("done\n\n"));
    expect(tail.tail()).toBe("starting\nwarning: slow disk\ndone");
  });

  it("keeps at most 4000 characters, starting at a whole line after a marker", () => {
    const tail = new OutputTail();
    for (let i = 0; i < 2000; i++) tail.push("stdout", Buffer.from(`line ${i}\n`));
    const text = tail.tail();
    expect(text.length).toBeLessThanOrEqual(OUTPUT_TAIL_LIMIT);
    expect(text.startsWith("…\nline ")).toBe(true);
    expect(text.endsWith("line 1999")).toBe(true);
    expect(text.split("\n")[1]).toMatch(/^line \d+$/);
  });

  it("redacts token-shaped strings and the known secret values", () => {
    const secret = "s3cret-passphrase-of-the-backup";
    const tail = new OutputTail();
    // Built at run time so that the secret scanner does not flag a fake token in the source.
    const fakeToken = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789";
    tail.push("stdout", Buffer.from(`token ${fakeToken} and ${secret}\n`));
    tail.push("stdout", Buffer.from("x".repeat(3900) + "\n"));
    const text = tail.tail(createRedactor([secret]));
    expect(text).not.toContain("ghp_abcdefghij");
    expect(text).not.toContain(secret);
    expect(text).not.toContain("passphrase");
  });

  it("keeps a UTF-8 character split across chunks whole, and drops terminal colours", () => {
    const tail = new OutputTail();
    const bytes = Buffer.from("\x1b[31mrøde\x1b[0m ✓\r\n");
    tail.push("stdout", bytes.subarray(0, 8));
    tail.push("stdout", bytes.subarray(8));
    expect(tail.tail()).toBe("røde ✓");
  });

  it("adds gaia's own notes on a line of their own", () => {
    const tail = new OutputTail();
    tail.push("stdout", Buffer.from("half a line"));
    tail.note("gaia run: stopped");
    expect(tail.tail()).toBe("half a line\ngaia run: stopped");
  });
});
