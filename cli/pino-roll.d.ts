// pino-roll ships no types; this is the part of its API that cli/logger.ts uses.
declare module "pino-roll" {
  import type { Writable } from "node:stream";
  interface PinoRollOptions {
    file: string | (() => string);
    size?: string | number;
    frequency?: string | number;
    extension?: string;
    mkdir?: boolean;
    sync?: boolean;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
    /** Passed on to SonicBoom: the most bytes buffered; beyond, lines are dropped ("drop" event). */
    maxLength?: number;
  }
  type RollStream = Writable & { flushSync?: () => void };
  export default function pinoRoll(options: PinoRollOptions): Promise<RollStream>;
}
