import { FindOperator, IsNull, Not, type DataSource, type EntityManager } from "typeorm";

/**
 * In a `where`, the rows of every host: the `host` column is never null, and a `where` that names
 * `host` is left as written (see scopeToHost).
 */
export const ANY_HOST = Not(IsNull());

/** Methods whose options (argument 1) hold a `where`. */
const FIND_OPTIONS = ["find", "findOne", "findOneOrFail", "findAndCount", "count", "exists"] as const;
/** Methods whose argument 1 is a `where`. */
const WHERE = ["findBy", "findOneBy", "findOneByOrFail", "findAndCountBy", "countBy", "existsBy", "update", "delete", "increment", "decrement"] as const;
/** Aggregates: (target, column, where). */
const AGGREGATE_WHERE = ["sum", "average", "minimum", "maximum"] as const;
/** Methods that write the rows of argument 1: they are stamped with the host. */
const ROWS = ["save", "insert", "upsert", "create"] as const;

type Row = Record<string, unknown>;

/**
 * Keeps one host's rows apart from the others' in a database several hosts share (PostgreSQL,
 * `DATABASE_URL`): every row an entity with a `host` column is written with gets this host's name,
 * and every read, update and delete through an EntityManager of this DataSource (the root one,
 * repositories, transactions) sees only this host's rows, unless its `where` names `host` itself
 * (e.g. `ANY_HOST` for /history across hosts). So the domain code stays as it is: the monitor of
 * each host finds its own open incidents, mutes, outbox and state, and the audit trail is one table.
 *
 * Query builders and raw SQL are not scoped: code using them must filter by host itself (the
 * ones in gaia today update or delete rows by id, which are unique across hosts).
 */
export function scopeToHost(dataSource: DataSource, host: string): void {
  const hasHost = new Map<unknown, boolean>();
  const scoped = (target: unknown): boolean => {
    let known = hasHost.get(target);
    if (known === undefined) {
      known = dataSource.hasMetadata(target as never) && dataSource.getMetadata(target as never).findColumnWithPropertyPath("host") !== undefined;
      hasHost.set(target, known);
    }
    return known;
  };
  const withHost = (where: unknown): unknown => {
    if (where === undefined || where === null) return { host };
    if (Array.isArray(where)) return where.length === 0 ? where : where.map(withHost);
    // A bare id (or a FindOperator on the id): ids are unique across hosts.
    if (typeof where !== "object" || where instanceof FindOperator || where instanceof Date) return where;
    return "host" in where ? where : { ...(where as Row), host };
  };
  const stamp = (rows: unknown): unknown => {
    if (Array.isArray(rows)) return rows.map(stamp);
    if (rows && typeof rows === "object" && (rows as Row).host === undefined) (rows as Row).host = host;
    return rows;
  };

  const scopeManager = (manager: EntityManager): EntityManager => {
    const methods = manager as unknown as Record<string, (...args: unknown[]) => unknown>;
    const wrap = (name: string, change: (args: unknown[]) => void) => {
      const original = methods[name].bind(manager);
      methods[name] = (...args: unknown[]) => {
        // Entities passed without a target (manager.save(entity)) name their class themselves.
        const target = typeof args[0] === "object" && args[0] !== null && !Array.isArray(args[0]) ? (args[0] as object).constructor : args[0];
        if (scoped(target) || (ROWS as readonly string[]).includes(name)) change(args);
        return original(...args);
      };
    };
    for (const name of FIND_OPTIONS) {
      wrap(name, (args) => {
        if (!scoped(args[0])) return;
        const options = (args[1] ?? {}) as { where?: unknown };
        args[1] = { ...options, where: withHost(options.where) };
      });
    }
    for (const name of WHERE) wrap(name, (args) => scoped(args[0]) && (args[1] = withHost(args[1])));
    for (const name of AGGREGATE_WHERE) wrap(name, (args) => scoped(args[0]) && (args[2] = withHost(args[2])));
    for (const name of ROWS) {
      wrap(name, (args) => {
        if (typeof args[0] === "function" || typeof args[0] === "string") {
          if (scoped(args[0]) && args[1] !== undefined) args[1] = stamp(args[1]);
        } else if (args[0] && typeof args[0] === "object") {
          const first = Array.isArray(args[0]) ? args[0][0] : args[0];
          if (first && scoped((first as object).constructor)) stamp(args[0]);
        }
      });
    }
    return manager;
  };

  scopeManager(dataSource.manager);
  // Transactions and query runners get managers of their own.
  const createEntityManager = dataSource.createEntityManager.bind(dataSource);
  dataSource.createEntityManager = (queryRunner) => scopeManager(createEntityManager(queryRunner));
}
