import type { ColumnOptions } from "typeorm";

/**
 * A Telegram chat id: groups and channels are -100… numbers beyond 32 bits, so the column is a
 * `bigint` (PostgreSQL's integer would overflow). The pg driver reads bigint as a string (it may
 * exceed 2^53); chat ids stay below 2^52, so they come back as numbers.
 */
export function chatIdColumn(options: { nullable?: boolean } = {}): ColumnOptions {
  return {
    type: "bigint",
    nullable: options.nullable ?? false,
    transformer: {
      to: (value: number | null | undefined) => value,
      from: (value: string | number | null) => (value === null || value === undefined ? value : Number(value)),
    },
  };
}
