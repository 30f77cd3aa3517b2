import type { Context } from "grammy";

/** The grammY context of gaia's bot. Kept as one alias so plugins' flavors are added in one place. */
export type GaiaContext = Context;
