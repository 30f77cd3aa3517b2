import { InitialSchema1764072000000 } from "./1764072000000-initial-schema.js";
import { ApprovalOutcomeShown1764078000000 } from "./1764078000000-approval-outcome-shown.js";
import { TaskRunsByEnd1764081000000 } from "./1764081000000-task-runs-by-end.js";
import { IncidentNoticeColumns1764090000000 } from "./1764090000000-incident-notice-columns.js";
import { OutboxAttempts1764100000000 } from "./1764100000000-outbox-attempts.js";
import { TaskRunLauncher1764105000000 } from "./1764105000000-task-run-launcher.js";
import { Rotations1764120000000 } from "./1764120000000-rotations.js";
import { ChatIdsBigint1764130000000 } from "./1764130000000-chat-ids-bigint.js";
import { HostColumn1764131000000 } from "./1764131000000-host-column.js";

/** Every migration, oldest first. Hand-reviewed SQL; `synchronize` is never used. */
export const ALL_MIGRATIONS = [
  InitialSchema1764072000000,
  ApprovalOutcomeShown1764078000000,
  TaskRunsByEnd1764081000000,
  IncidentNoticeColumns1764090000000,
  OutboxAttempts1764100000000,
  TaskRunLauncher1764105000000,
  Rotations1764120000000,
  ChatIdsBigint1764130000000,
  HostColumn1764131000000,
];
