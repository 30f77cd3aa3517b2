/** The chat commands (CONTRACT section 5), in menu order, with the line /help shows for each. */
export const COMMANDS = [
  { command: "status", description: "Host, services, tasks, incidents and approvals at a glance" },
  { command: "top", description: "Top processes by CPU or memory" },
  { command: "approvals", description: "Pending approval requests" },
  { command: "mute", description: "Mute alerts: /mute SERVICE|all [DURATION] (default 1h)" },
  { command: "unmute", description: "Unmute alerts: /unmute SERVICE|all" },
  { command: "history", description: "Recent incidents and events: /history [SERVICE]" },
  { command: "rotate", description: "Rotate the GitHub token (guided)" },
  { command: "cancel", description: "Cancel the current guided flow" },
  { command: "help", description: "What each command does" },
] as const;
