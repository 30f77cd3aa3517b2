import type { Composer } from "grammy";
import type { GaiaContext } from "../context.js";
import { approvalsFeature, type ApprovalsDeps } from "./approvals.js";
import { helpFeature } from "./help.js";
import { historyFeature, type HistoryDeps } from "./history.js";
import { incidentButtonsFeature, type IncidentButtonsDeps } from "./incident-buttons.js";
import { muteFeature, type MuteDeps } from "./mute.js";
import { rotateFeature, type RotateDeps } from "./rotate.js";
import { statusFeature, type StatusDeps } from "./status.js";
import { topFeature, type TopDeps } from "./top.js";

/**
 * What each chat feature needs, by feature. The composition root gathers it from the domain
 * wirings (cli/wiring/), each of which provides the part it owns.
 */
export interface ChatFeatureDeps {
  status: StatusDeps;
  top: TopDeps;
  history: HistoryDeps;
  mute: MuteDeps;
  incidentButtons: IncidentButtonsDeps;
  approvals: ApprovalsDeps;
  rotate: RotateDeps;
}

/**
 * Every chat feature, each one Composer holding its commands and its buttons: the one place
 * where a command is registered. To add a command, add its feature file here (and its menu line
 * to `COMMANDS` in bot/command-list.ts).
 */
export function chatFeatures(deps: ChatFeatureDeps): Composer<GaiaContext>[] {
  return [
    helpFeature(),
    statusFeature(deps.status),
    topFeature(deps.top),
    historyFeature(deps.history),
    muteFeature(deps.mute),
    incidentButtonsFeature(deps.incidentButtons),
    approvalsFeature(deps.approvals),
    rotateFeature(deps.rotate),
  ];
}

/** Every key of ChatFeatureDeps (the type makes this list complete). */
const FEATURE_NAMES: Record<keyof ChatFeatureDeps, true> = {
  status: true,
  top: true,
  history: true,
  mute: true,
  incidentButtons: true,
  approvals: true,
  rotate: true,
};

/**
 * Checks that the wirings provided every feature's part; a missing one is a wiring mistake, named
 * at start rather than found as a command that does nothing.
 */
export function completeChatFeatureDeps(parts: readonly Partial<ChatFeatureDeps>[]): ChatFeatureDeps {
  const deps: Partial<ChatFeatureDeps> = Object.assign({}, ...parts);
  const missing = (Object.keys(FEATURE_NAMES) as (keyof ChatFeatureDeps)[]).filter((name) => deps[name] === undefined);
  if (missing.length) throw new Error(`no wiring provides the chat feature(s): ${missing.join(", ")}`);
  return deps as ChatFeatureDeps;
}
