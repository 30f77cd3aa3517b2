import { describe, expect, it } from "vitest";
import { INCIDENT_DATA } from "../../../bot/callbacks/incident-actions.js";
import { incidentCallback } from "../../../bot/render/alert.js";

describe("the callback data of an alert's buttons", () => {
  it("is short, names the action and the incident, and reads back", () => {
    for (const action of ["ack", "mute", "restart", "confirm", "cancel"] as const) {
      const data = incidentCallback(action, 123456789);
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(INCIDENT_DATA.exec(data)?.slice(1)).toEqual([action, "123456789"]);
    }
  });

  it.each(["inc:ack:", "inc:ack:12a", "inc:ack:-1", "inc:ack:1:2", "inc:nuke:1", "inc:ack:1234567890123", "inc:ack:__proto__", "apr:y:1", ""])(
    "is not ours: %j (the bot answers it as an inactive button)",
    (data) => {
      expect(INCIDENT_DATA.test(data)).toBe(false);
    },
  );
});
