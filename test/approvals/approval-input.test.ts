import { describe, expect, it } from "vitest";
import { describeProblems, validateApprovalInput } from "../../approvals/approval-input.js";

describe("what a script may ask for", () => {
  it("accepts a title alone, and trims what it keeps", () => {
    expect(validateApprovalInput({ title: "  Push to main " })).toEqual({ ok: true, value: { title: "Push to main" } });
    expect(validateApprovalInput({ title: "T", details: "d", requester: "ci", timeout: 600 })).toEqual({
      ok: true,
      value: { title: "T", details: "d", requester: "ci", timeoutSeconds: 600 },
    });
    expect(validateApprovalInput({ title: "T", details: "  ", requester: null })).toEqual({ ok: true, value: { title: "T" } });
  });

  it.each([
    [{}, "title: is required"],
    [{ title: 5 }, "title: must be a string"],
    [{ title: "   " }, "title: must not be empty"],
    [{ title: "x".repeat(201) }, "title: must be at most 200 characters"],
    [{ title: "T", details: "x".repeat(3001) }, "details: must be at most 3000 characters"],
    [{ title: "T", details: ["a"] }, "details: must be a string"],
    [{ title: "T", requester: "x".repeat(201) }, "requester: must be at most 200 characters"],
    [{ title: "T", timeout: 0 }, "timeout: must be a whole number of seconds from 1 to 604800 (7 days)"],
    [{ title: "T", timeout: 1.5 }, "timeout: must be a whole number of seconds from 1 to 604800 (7 days)"],
    [{ title: "T", timeout: "10m" }, "timeout: must be a whole number of seconds from 1 to 604800 (7 days)"],
    [{ title: "T", timeout: 604801 }, "timeout: must be a whole number of seconds from 1 to 604800 (7 days)"],
    [{ title: "T", detail: "typo" }, "detail: unknown field; known fields are title, details, requester, timeout"],
    [[], 'body: must be a JSON object such as {"title": "Push to main"}'],
    [null, 'body: must be a JSON object such as {"title": "Push to main"}'],
  ])("refuses %j naming the field", (body, message) => {
    const result = validateApprovalInput(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(describeProblems(result.problems)).toBe(message);
  });

  it("names every invalid field at once", () => {
    const result = validateApprovalInput({ details: 1, timeout: -1 });
    expect(result.ok || describeProblems(result.problems)).toBe(
      "title: is required; details: must be a string; timeout: must be a whole number of seconds from 1 to 604800 (7 days)",
    );
  });
});
