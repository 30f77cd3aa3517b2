import type { DeliveryItem } from "./delivery-plan.js";

/** How many alerts and notices are held at most (a few messages' worth; each is a few hundred bytes). */
export const HELD_ALERTS_MAX = 200;

/**
 * Alerts and notices that could not become outbox rows because gaia.db cannot be written (a full
 * disk): the exception to "persist before act", because a full disk is exactly when the admin
 * needs to hear from the monitor. They wait here, in memory, until `HeldDelivery` sends them.
 * Bounded: past `max`, reminders go first (they repeat what was said), then the oldest alerts;
 * notices stay. What was dropped is counted, to be said when the disk has room again.
 */
export class HeldAlerts {
  private readonly items: DeliveryItem[] = [];
  private droppedCount = 0;

  constructor(readonly max = HELD_ALERTS_MAX) {}

  /** Holds one item for sending. */
  hold(item: DeliveryItem): void {
    this.items.push(item);
    while (this.items.length > this.max) {
      const reminder = this.items.findIndex((i) => i.kind === "alert" && i.payload.change === "reminder");
      const alert = this.items.findIndex((i) => i.kind === "alert");
      this.items.splice(reminder >= 0 ? reminder : Math.max(alert, 0), 1);
      this.droppedCount++;
    }
  }

  /** The first `n` items, in the order they were held. */
  peek(n: number): DeliveryItem[] {
    return this.items.slice(0, n);
  }

  /** Removes the first `n` items (they were sent, or refused for good). */
  remove(n: number): void {
    this.items.splice(0, n);
  }

  get size(): number {
    return this.items.length;
  }

  /** How many items were dropped to keep the bound, since the last `takeDropped()`. */
  takeDropped(): number {
    const dropped = this.droppedCount;
    this.droppedCount = 0;
    return dropped;
  }
}
