import { describe, expect, it } from "vitest";
import {
  approvalButton,
  historyButton,
  INCIDENT_DATA,
  incidentButton,
  parseApprovalButton,
  parseHistoryButton,
  parseIncidentButton,
  parseStatusButton,
  parseTopButton,
  statusButton,
  topButton,
} from "../../bot/callback-data.js";

describe("the buttons' callback data", () => {
  it("fits Telegram's 64 bytes in the longest case and reads back what it wrote", () => {
    const longest = historyButton(99_999, "a".repeat(32));
    expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(64);
    expect(parseHistoryButton(longest)).toEqual({ page: 9999, subject: "a".repeat(32) });
    expect(parseHistoryButton(historyButton(2, null))).toEqual({ page: 2, subject: null });
    const acrossHosts = historyButton(99_999, "a".repeat(32), "h".repeat(23));
    expect(Buffer.byteLength(acrossHosts)).toBeLessThanOrEqual(64);
    expect(parseHistoryButton(acrossHosts)).toEqual({ page: 9999, subject: "a".repeat(32), host: "h".repeat(23) });
    expect(parseHistoryButton(historyButton(0, null, "*"))).toEqual({ page: 0, subject: null, host: "*" });
    expect(parseStatusButton(statusButton(3))).toBe(3);
    expect(parseStatusButton(statusButton(-4))).toBe(0);
    expect(parseTopButton(topButton("memory"))).toBe("memory");
    expect(parseTopButton(topButton("cpu"))).toBe("cpu");
  });

  it("rejects data it did not write", () => {
    for (const data of ["st:", "st:-1", "st:1:2", "st:12345", "top:disk", "top:cpu ", "hi:1", "hi:x:agent", "hi:1:Agent", "hi:1:../etc", `hi:1:${"a".repeat(33)}`, "approve:1"]) {
      expect([parseStatusButton(data), parseTopButton(data), parseHistoryButton(data)]).toEqual([undefined, undefined, undefined]);
    }
    expect(() => historyButton(0, "Not A Name")).toThrow();
  });
});

describe("the callback data of an alert's buttons", () => {
  it("is short, names the action and the incident, and reads back", () => {
    for (const action of ["ack", "mute", "restart", "confirm", "cancel"] as const) {
      const data = incidentButton(action, 123456789);
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(INCIDENT_DATA.exec(data)?.slice(1)).toEqual([action, "123456789"]);
      expect(parseIncidentButton(data)).toEqual({ action, incidentId: 123456789 });
    }
  });

  it.each(["inc:ack:", "inc:ack:12a", "inc:ack:-1", "inc:ack:1:2", "inc:nuke:1", "inc:ack:1234567890123", "inc:ack:__proto__", "apr:y:1", ""])(
    "is not ours: %j (the bot answers it as an inactive button)",
    (data) => {
      expect(INCIDENT_DATA.test(data)).toBe(false);
      expect(parseIncidentButton(data)).toBeUndefined();
    },
  );
});

describe("the callback data of the Approve and Deny buttons", () => {
  it("carries the decision and the request id, and reads back", () => {
    expect(approvalButton("approved", "0123456789abcdef")).toBe("apr:y:0123456789abcdef");
    expect(approvalButton("denied", "0123456789abcdef")).toBe("apr:n:0123456789abcdef");
    expect(parseApprovalButton("apr:y:0123456789abcdef")).toEqual({ decision: "approved", id: "0123456789abcdef" });
    expect(parseApprovalButton("apr:n:0123456789abcdef")).toEqual({ decision: "denied", id: "0123456789abcdef" });
  });

  it.each([
    "apr:x:0123456789abcdef",
    "apr:y:0123456789ABCDEF",
    "apr:y:0123456789abcde",
    "apr:y:0123456789abcdef:extra",
    "apr:y:",
    "apr:y:../../0123456789ab",
    "apr:Y:0123456789abcdef",
    "mute:agent",
    "",
  ])("refuses %j", (data) => {
    expect(parseApprovalButton(data)).toBeUndefined();
  });
});
