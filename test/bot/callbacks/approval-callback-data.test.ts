import { describe, expect, it } from "vitest";
import { approvalCallbackData, parseApprovalCallbackData } from "../../../bot/callbacks/approval-callback-data.js";

describe("the callback data of the Approve and Deny buttons", () => {
  it("carries the decision and the request id, and reads back", () => {
    expect(approvalCallbackData("approved", "0123456789abcdef")).toBe("apr:y:0123456789abcdef");
    expect(approvalCallbackData("denied", "0123456789abcdef")).toBe("apr:n:0123456789abcdef");
    expect(parseApprovalCallbackData("apr:y:0123456789abcdef")).toEqual({ decision: "approved", id: "0123456789abcdef" });
    expect(parseApprovalCallbackData("apr:n:0123456789abcdef")).toEqual({ decision: "denied", id: "0123456789abcdef" });
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
    expect(parseApprovalCallbackData(data)).toBeUndefined();
  });
});
