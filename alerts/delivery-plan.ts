/**
 * Which outbox rows go out together, and how a backlog is folded before it is sent. Pure: the
 * delivery job hands in the rows that are due and gets back the messages to send, each with the
 * ids of the rows it settles.
 *
 * Rows that fall due together are one message per chat. Rows about the same incident fold into
 * one item: a service that went down and came back while Telegram was unreachable is one line
 * ("was down for 3m"), and a reminder is dropped when a newer row about its incident follows.
 */
import type { OutboxMessage } from "../entities/outbox-message.js";
import type { AlertPayload, NoticePayload } from "./alert.js";

/** One thing a message says. */
export type DeliveryItem =
  | { kind: "notice"; payload: NoticePayload }
  | {
      kind: "alert";
      payload: AlertPayload;
      /** The incident opened and resolved before either could be sent: `payload` is the resolution. */
      openedToo?: boolean;
    };

/** One message to send, as data; `bot/render/` writes its text. */
export interface DeliveryMessage {
  chatId: number;
  items: DeliveryItem[];
  /** ISO time of the oldest row when these rows had to wait for Telegram (a backlog summary). */
  delayedSince?: string;
}

/** A message and the outbox rows it settles once Telegram accepts it. */
export interface PlannedMessage {
  rowIds: number[];
  message: DeliveryMessage;
}

export interface PlanOptions {
  now: Date;
  /** At most this many items per message; more make further messages. */
  maxItems: number;
  /** A row older than this, or already tried, makes its message a backlog summary. */
  delayedAfterMs: number;
  /** Rows to send on their own (a message with them was refused: find the one that is at fault). */
  alone?: ReadonlySet<number>;
}

interface Entry {
  item: DeliveryItem;
  rowIds: number[];
  /** The incident this entry speaks for, if any. */
  incident?: string;
}

/** Groups due rows (in id order) into messages; see the file comment. */
export function planDelivery(rows: readonly OutboxMessage[], options: PlanOptions): PlannedMessage[] {
  const byChat = new Map<number, OutboxMessage[]>();
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    const list = byChat.get(row.chatId) ?? [];
    list.push(row);
    byChat.set(row.chatId, list);
  }
  const planned: PlannedMessage[] = [];
  for (const [chatId, chatRows] of byChat) {
    const alone = chatRows.filter((row) => options.alone?.has(row.id));
    const together = chatRows.filter((row) => !options.alone?.has(row.id));
    for (const row of alone) planned.push(toMessage(chatId, [entryOf(row)], [row], options));
    const entries = fold(together);
    for (let i = 0; i < entries.length; i += Math.max(1, options.maxItems)) {
      const chunk = entries.slice(i, i + Math.max(1, options.maxItems));
      const chunkRows = together.filter((row) => chunk.some((entry) => entry.rowIds.includes(row.id)));
      planned.push(toMessage(chatId, chunk, chunkRows, options));
    }
  }
  return planned;
}

function toMessage(chatId: number, entries: Entry[], rows: OutboxMessage[], options: PlanOptions): PlannedMessage {
  const message: DeliveryMessage = { chatId, items: entries.map((e) => e.item) };
  const waited = rows.some((row) => row.attempts > 0 || options.now.getTime() - row.createdAt.getTime() > options.delayedAfterMs);
  if (waited) message.delayedSince = new Date(Math.min(...rows.map((row) => row.createdAt.getTime()))).toISOString();
  return { rowIds: entries.flatMap((e) => e.rowIds), message };
}

function entryOf(row: OutboxMessage): Entry {
  if (row.kind === "alert") {
    const payload = row.payload as unknown as AlertPayload;
    return { item: { kind: "alert", payload }, rowIds: [row.id], incident: incidentKey(payload) };
  }
  return { item: { kind: "notice", payload: row.payload as unknown as NoticePayload }, rowIds: [row.id] };
}

/** Folds the rows of one incident into one entry, at the place of its first row. */
function fold(rows: readonly OutboxMessage[]): Entry[] {
  const entries: Entry[] = [];
  const byIncident = new Map<string, Entry>();
  for (const row of rows) {
    const entry = entryOf(row);
    const key = entry.incident;
    const earlier = key ? byIncident.get(key) : undefined;
    if (!key || !earlier || earlier.item.kind !== "alert" || entry.item.kind !== "alert") {
      entries.push(entry);
      if (key) byIncident.set(key, entry);
      continue;
    }
    earlier.rowIds.push(row.id);
    const before = earlier.item;
    const next = entry.item.payload;
    if (next.change === "reminder") {
      // An opened alert not yet sent says more than a reminder of it; a newer reminder replaces an older one.
      if (before.payload.change === "reminder") earlier.item = { kind: "alert", payload: next };
    } else if (next.change === "resolved") {
      earlier.item = { kind: "alert", payload: next, openedToo: before.openedToo === true || before.payload.change === "opened" };
    } else {
      earlier.item = { kind: "alert", payload: next };
    }
  }
  return entries;
}

function incidentKey(payload: AlertPayload): string | undefined {
  return typeof payload.incidentId === "number" && payload.incidentId > 0 ? `${payload.subjectKind}:${payload.incidentId}` : undefined;
}
