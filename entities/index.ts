import { ApprovalRequest } from "./approval-request.js";
import { AuditEvent } from "./audit-event.js";
import { Incident } from "./incident.js";
import { Mute } from "./mute.js";
import { OutboxMessage } from "./outbox-message.js";
import { Rotation } from "./rotation.js";
import { Sample } from "./sample.js";
import { StateEntry } from "./state-entry.js";
import { TaskRun } from "./task-run.js";

/** Every entity of gaia.db, for the DataSource. */
export const ALL_ENTITIES = [AuditEvent, Incident, OutboxMessage, StateEntry, Mute, ApprovalRequest, TaskRun, Sample, Rotation];

export { ApprovalRequest, AuditEvent, Incident, Mute, OutboxMessage, Rotation, Sample, StateEntry, TaskRun };
