import type { Transformer } from "grammy";
import { classifyTelegramError } from "./telegram-errors.js";

export type TelegramState = "up" | "down" | "off";

/**
 * Whether Telegram answered lately, as `/healthz` reports it: every Bot API call through the
 * transformer updates it (a reply of any kind means "up"; a network error or a 5xx means "down").
 */
export class TelegramHealth {
  private current: TelegramState;
  lastOkAt?: Date;
  lastErrorAt?: Date;

  constructor(enabled: boolean, private readonly now: () => Date = () => new Date()) {
    this.current = enabled ? "down" : "off";
  }

  get state(): TelegramState {
    return this.current;
  }

  transformer(): Transformer {
    return (async (prev, method, payload, signal) => {
      try {
        const result = await prev(method, payload, signal);
        if (result.ok || (result.error_code ?? 0) < 500) this.markUp();
        else this.markDown();
        return result;
      } catch (error) {
        if (classifyTelegramError(error)?.kind === "transient") this.markDown();
        throw error;
      }
    }) as Transformer;
  }

  private markUp(): void {
    if (this.current === "off") return;
    this.current = "up";
    this.lastOkAt = this.now();
  }

  private markDown(): void {
    if (this.current === "off") return;
    this.current = "down";
    this.lastErrorAt = this.now();
  }
}
