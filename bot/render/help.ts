import { COMMANDS } from "../command-list.js";
import { html, type RenderedMessage } from "./html.js";
import { truncatePlain } from "./paginate.js";

/** The /help message: every command with one line each. */
export function renderHelp(): RenderedMessage {
  const lines = COMMANDS.map(({ command, description }) => html`/${command} — ${description}`);
  return { text: ["<b>Gaia Monitor</b>", "", ...lines].join("\n") };
}

/** The answer to a command gaia does not know. */
export function renderUnknownCommand(command: string): RenderedMessage {
  return { text: html`I don't know ${truncatePlain(command, 64)}. Send /help for the list of commands.` };
}
