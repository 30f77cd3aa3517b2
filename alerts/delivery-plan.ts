/**
 * Which outbox rows go out together, and how a backlog is folded before it is sent. Pure: the
 * delivery job hands in the rows that are due and gets back the messages to send, each with the
 * ids of the rows it settles.
 *
 * Rows that fall due together are one message per chat, split where the next item would not fit
 * (`fits`, which the composition root wires to the renderer: Telegram's 4,096 characters and a
 * keyboard that stays usable), so that every item is named in a message that is sent. Rows about
 * the same incident fold into one item: a service that went down and came back while Telegram
 * was unreachable is one line ("was down for 3m"), and a reminder is dropped when a newer row
 * about its incident follows. Rows that Telegram may already have (an attempt whose outcome was
 * never known) go out on their own, marked as a possible repeat.
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
  /** Telegram may already have shown these items: an earlier attempt's outcome is unknown. */
  possibleRepeat?: boolean;
}

/** A message and the outbox rows it settles once Telegram accepts it. */
export interface PlannedMessage {
  rowIds: number[];
  /** The rows of each item, in item order: a message that showed only its first N items settles only their rows. */
  itemRowIds: number[][];
  message: DeliveryMessage;
}

export interface PlanOptions {
  now: Date;
  /** At most this many items per message; more make further messages. */
  maxItems: number;
  /** Whether a message would fit in one Telegram message (length, keyboard); an item alone always goes. */
  fits?: (message: DeliveryMessage) => boolean;
  /** A row that failed an attempt and is older than this makes its message a backlog summary. */
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
    // A notice with buttons of its own (rotation due) is never grouped: its buttons belong to it.
    const isAlone = (row: OutboxMessage) => options.alone?.has(row.id) || (row.kind === "notice" && (row.payload as unknown as NoticePayload).standalone === true);
    const alone = chatRows.filter(isAlone);
    const repeats = chatRows.filter((row) => !isAlone(row) && row.maybeSent);
    const together = chatRows.filter((row) => !isAlone(row) && !row.maybeSent);
    for (const row of alone) planned.push(toMessage(chatId, [entryOf(row)], [row], options));
    for (const group of [repeats, together]) {
      for (const chunk of split(chatId, fold(group), group, options)) {
        planned.push(toMessage(chatId, chunk, group.filter((row) => chunk.some((entry) => entry.rowIds.includes(row.id))), options));
      }
    }
  }
  return planned;
}

/** Cuts entries into messages: at most `maxItems` each, and each one that `fits`. */
function split(chatId: number, entries: Entry[], rows: readonly OutboxMessage[], options: PlanOptions): Entry[][] {
  const chunks: Entry[][] = [];
  let chunk: Entry[] = [];
  for (const entry of entries) {
    const candidate = [...chunk, entry];
    const tooMany = candidate.length > Math.max(1, options.maxItems);
    const tooLong = chunk.length > 0 && options.fits !== undefined && !options.fits(toMessage(chatId, candidate, rowsOf(candidate, rows), options).message);
    if (tooMany || tooLong) {
      chunks.push(chunk);
      chunk = [entry];
    } else {
      chunk = candidate;
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function rowsOf(entries: readonly Entry[], rows: readonly OutboxMessage[]): OutboxMessage[] {
  return rows.filter((row) => entries.some((entry) => entry.rowIds.includes(row.id)));
}

function toMessage(chatId: number, entries: Entry[], rows: OutboxMessage[], options: PlanOptions): PlannedMessage {
  const message: DeliveryMessage = { chatId, items: entries.map((e) => e.item) };
  // Held back by Telegram: an attempt failed, and long enough ago to matter (one retry after a
  // dropped connection is not an outage worth a headline).
  const waited = rows.some((row) => row.attempts > 0 && !row.maybeSent && options.now.getTime() - row.createdAt.getTime() > options.delayedAfterMs);
  if (waited) message.delayedSince = new Date(Math.min(...rows.map((row) => row.createdAt.getTime()))).toISOString();
  if (rows.some((row) => row.maybeSent)) message.possibleRepeat = true;
  return { rowIds: entries.flatMap((e) => e.rowIds), itemRowIds: entries.map((e) => [...e.rowIds]), message };
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
