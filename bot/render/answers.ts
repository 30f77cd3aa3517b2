/**
 * The bot's short answers that are not views of data: what a stranger is told, what a press on a
 * stale button or a failed handler gets. Callback query answers are plain text of at most 200
 * characters; the replies are HTML-safe sentences (no `<`, `>` or `&`).
 */
export const CHAT_ANSWERS = {
  /** What a stranger is told (at most once an hour) and shown on a button press. */
  notAuthorized: "You are not authorized to use this bot.",
  /** What an admin is told in a group that is not the alert chat. */
  wrongChat: "Gaia answers its admins in private chats and in its alert chat only.",
  /** A press that no feature handled (an old message's button, forged data). */
  inactiveButton: "This button is no longer active.",
  /** A press whose handler failed. */
  failedPress: "Something went wrong; see gaia's log.",
  /** A command whose handler failed, so that the admin is not left waiting. */
  failedCommand: "Something went wrong with that; see gaia's log.",
  /** A press or command that needed to write gaia.db, which the full disk (or another process's lock) refused. */
  databaseFull: "gaia.db cannot be written: the disk is full. Alerts still come; try this again once there is room.",
  databaseLocked: "gaia.db is locked by another process; try again in a moment (gaia's log names the process).",
  /** A Refresh that would show what the reader already sees. */
  upToDate: "Up to date",
  /** A press on a message Telegram no longer lets gaia edit. */
  cannotUpdate: "This message can no longer be updated; send the command again.",
} as const;
