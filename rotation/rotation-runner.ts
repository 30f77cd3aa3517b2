import type { DataSource } from "typeorm";
import type { Logger } from "pino";
import type { Secret } from "../config/secret.js";
import type { AuditTrail } from "../entities/audit-trail.js";
import { Rotation, ROTATION_STEPS, type RotationStep } from "../entities/rotation.js";
import type { GithubIdentity } from "./github-identity.js";
import { RotationFailed } from "./rotation-errors.js";
import type { SecretStore } from "./secret-store.js";
import type { TokenStages } from "./token-stages.js";
import { leastPrivilegeWarnings, sameAccount, type TokenFacts, type TokenNeeds } from "./token-facts.js";

/** The token gaia currently uses, updated when a rotation is done. */
export interface CurrentToken {
  get(): Secret | undefined;
  set(token: Secret): void;
}

export interface RotationRunnerOptions {
  dataSource: DataSource;
  audit: AuditTrail;
  identity: GithubIdentity;
  /** The stores in gaia.yml order; the first readable one is read back for the smoke test. */
  stores: SecretStore[];
  stages: TokenStages;
  /** `github.repository`: what the smoke test reads. */
  repository?: string;
  needs: TokenNeeds;
  current: CurrentToken;
  logger: Logger;
  now: () => Date;
}

/** Called after each step is recorded, for the chat's progress message. */
export type StepListener = (rotation: Rotation) => void | Promise<void>;

/** What happened to an unfinished rotation found at start. */
export type Recovery = { rotation: Rotation; action: "resumed" | "rolled-back" | "awaiting-admin"; reason?: string };

const ORDER = new Map<string, number>(ROTATION_STEPS.map((step, i) => [step, i]));

/** Whether the rotation has completed `step` (or a later one). */
export function reached(rotation: Rotation, step: RotationStep): boolean {
  return (ORDER.get(rotation.step) ?? -1) >= ORDER.get(step)!;
}

/**
 * The rotation state machine, modelled on AWS Secrets Manager's (create → set → test → finish,
 * with current / pending / previous stages): requested → staged (the new token in
 * `.private/rotation-stages.json`) → verified (alive, same account, least-privilege warnings) →
 * approved → stored (every store) → smoke-tested (a real read of the repository with the token
 * read back from the store) → old-revoked → old-dead (the old token now gets 401) → done.
 *
 * Each step is recorded in the row (and the audit trail) when it completes, and every step can be
 * run again, so a crash at any point resumes from the last recorded step. A failure before the
 * smoke test passed puts the old token back in every store and never revokes it.
 */
export class RotationRunner {
  /** One rotation at a time, in this process: the chat, the schedule and recovery take turns. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RotationRunnerOptions) {}

  get identityKind(): "pat" | "app" {
    return this.options.identity.kind;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private get rows() {
    return this.options.dataSource.getRepository(Rotation);
  }

  /** The rotation in progress (running or rolling back), if any. */
  async active(): Promise<Rotation | null> {
    return this.rows.findOne({ where: [{ outcome: "running" }, { outcome: "rolling-back" }], order: { id: "DESC" } });
  }

  async find(id: number): Promise<Rotation | null> {
    return this.rows.findOneBy({ id });
  }

  /** The last rotation that finished (done). */
  async lastDone(): Promise<Rotation | null> {
    return this.rows.findOne({ where: { outcome: "done" }, order: { id: "DESC" } });
  }

  /** The rotation started last (any outcome). */
  async lastAttempt(): Promise<Rotation | null> {
    return this.rows.findOne({ where: {}, order: { id: "DESC" } });
  }

  /** The fingerprint of the token gaia currently uses. */
  currentFingerprint(): string | undefined {
    return this.options.current.get()?.fingerprint;
  }

  /** The facts of the current token, or undefined when there is none. Throws when GitHub refuses it. */
  async currentFacts(): Promise<TokenFacts | undefined> {
    const token = this.options.current.get();
    return token ? this.options.identity.readFacts(token) : undefined;
  }

  /** Least-privilege warnings for a token's facts. */
  warningsFor(facts: TokenFacts): string[] {
    return leastPrivilegeWarnings(facts, this.options.needs, this.options.now());
  }

  /** Starts a rotation (a row at `requested`); refuses while another one is in progress. */
  request(input: { trigger: "chat" | "schedule"; actor: string }): Promise<Rotation> {
    return this.exclusive(async () => {
      const busy = await this.active();
      if (busy) throw new RotationFailed(`rotation #${busy.id} is in progress (step ${busy.step}); finish or cancel it first`, "busy");
      const now = this.options.now();
      const old = this.options.current.get();
      const row = await this.rows.save(
        this.rows.create({
          identity: this.options.identity.kind,
          trigger: input.trigger,
          requestedBy: input.actor,
          step: "requested",
          outcome: "running",
          login: null,
          oldFingerprint: old?.fingerprint ?? null,
          newFingerprint: null,
          newExpiresAt: null,
          startedAt: now,
          updatedAt: now,
          finishedAt: null,
          error: null,
          details: null,
        }),
      );
      await this.audit(row, "rotation.requested", `Rotation #${row.id} requested (${input.trigger})`, input.actor, { old: row.oldFingerprint });
      return row;
    });
  }

  /** Stages a new token for the rotation (a pasted PAT): on disk in `.private/` before anything else. */
  stage(id: number, token: Secret, actor: string): Promise<Rotation> {
    return this.exclusive(() => this.stageUnlocked(id, token, actor));
  }

  private async stageUnlocked(id: number, token: Secret, actor: string): Promise<Rotation> {
    const row = await this.running(id);
    if (reached(row, "staged")) throw new RotationFailed(`rotation #${id} already has its new token`, "refused");
    this.options.stages.write({ rotationId: id, pending: token, ...(this.previousOf(row) ? { previous: this.previousOf(row)! } : {}) });
    return this.advance(row, "staged", actor, `New token ${token.fingerprint} staged`, { new: token.fingerprint }, { newFingerprint: token.fingerprint });
  }

  /** The old token to keep as `previous`: the current one, if the row was started with it. */
  private previousOf(row: Rotation): Secret | undefined {
    const staged = this.options.stages.read();
    if (staged?.rotationId === row.id && staged.previous) return staged.previous;
    const current = this.options.current.get();
    return current && current.fingerprint === row.oldFingerprint ? current : undefined;
  }

  /**
   * Verifies the staged token: GitHub accepts it, it belongs to the same account as the old
   * one, and its facts (returned with the least-privilege warnings). A refused token rolls back.
   */
  verify(id: number, actor: string): Promise<{ rotation: Rotation; facts: TokenFacts; warnings: string[] }> {
    return this.exclusive(() => this.verifyUnlocked(id, actor));
  }

  private async verifyUnlocked(id: number, actor: string): Promise<{ rotation: Rotation; facts: TokenFacts; warnings: string[] }> {
    const row = await this.running(id);
    const pending = this.pendingOf(row);
    let facts: TokenFacts;
    try {
      facts = await this.options.identity.readFacts(pending);
      const expected = await this.expectedAccount(row);
      if (expected && !sameAccount(expected, facts)) {
        throw new RotationFailed(`the new token belongs to ${facts.login}, not to ${expected.login}; create it while signed in as ${expected.login}`, "wrong-account");
      }
      if (pending.equals(this.previousOf(row) ?? "")) throw new RotationFailed("the new token is the current one; create a new token", "refused");
    } catch (error) {
      if (error instanceof RotationFailed && error.code !== "unreachable") {
        await this.rollBackUnlocked(row, error.message, actor, "rotation.refused");
      }
      throw error;
    }
    const warnings = this.warningsFor(facts);
    const verified = await this.advance(
      row,
      "verified",
      actor,
      `New token ${pending.fingerprint} verified: ${facts.login}`,
      { new: pending.fingerprint, login: facts.login, kind: facts.kind, scopes: facts.scopes, permissions: facts.permissions, expiresAt: facts.expiresAt?.toISOString() ?? null, warnings },
      { login: facts.login, newExpiresAt: facts.expiresAt, details: { ...(row.details ?? {}), warnings } },
    );
    return { rotation: verified, facts, warnings };
  }

  /** Who the new token must be: the old token's account, else the last rotation's, else (app) the App's bot. */
  private async expectedAccount(row: Rotation): Promise<Pick<TokenFacts, "login" | "accountId"> | undefined> {
    const old = this.previousOf(row);
    if (old) {
      try {
        return await this.options.identity.readFacts(old);
      } catch (error) {
        if (!(error instanceof RotationFailed) || error.code !== "invalid-token") throw error;
        // The old token is already dead (expired): fall back to what the last rotation recorded.
      }
    }
    const last = await this.lastDone();
    if (last?.login) return { login: last.login };
    const expectedLogin = await this.options.identity.expectedLogin?.();
    return expectedLogin ? { login: expectedLogin } : undefined;
  }

  /** App identity: mints a new installation token and stages it. */
  mintAndStage(id: number, actor: string): Promise<Rotation> {
    return this.exclusive(async () => {
      const row = await this.running(id);
      if (!this.options.identity.mint) throw new RotationFailed("identity pat cannot mint tokens; paste a new one", "refused");
      let minted: { token: Secret; facts: TokenFacts };
      try {
        minted = await this.options.identity.mint();
      } catch (error) {
        if (error instanceof RotationFailed && error.code !== "unreachable") await this.rollBackUnlocked(row, error.message, actor);
        throw error;
      }
      return this.stageUnlocked(id, minted.token, actor);
    });
  }

  /** The admin's (or, with `approval: auto`, the schedule's) go-ahead for a verified token. */
  approve(id: number, actor: string): Promise<Rotation> {
    return this.exclusive(async () => {
      const row = await this.running(id);
      if (reached(row, "approved")) return row;
      if (!reached(row, "verified")) throw new RotationFailed(`rotation #${id} is not verified yet`, "refused");
      return this.advance(row, "approved", actor, `Rotation #${id} approved`, {});
    });
  }

  /**
   * Runs the approved rotation to the end from its last recorded step: stores, smoke test,
   * revocation of the old token, the 401 check, done. A failure before the smoke test passed
   * rolls back (every store gets the old token again, the old token stays alive) and throws.
   */
  complete(id: number, actor: string, onStep?: StepListener): Promise<Rotation> {
    return this.exclusive(() => this.completeUnlocked(id, actor, onStep));
  }

  private async completeUnlocked(id: number, actor: string, onStep?: StepListener): Promise<Rotation> {
    let row = await this.running(id);
    if (!reached(row, "approved")) throw new RotationFailed(`rotation #${id} is not approved yet`, "refused");
    const pending = this.pendingOf(row);
    const previous = this.previousOf(row);
    const notify = async (r: Rotation) => {
      await onStep?.(r);
      return r;
    };

    if (!reached(row, "stored")) {
      try {
        for (const store of this.options.stores) await store.write(pending);
      } catch (error) {
        await this.rollBackUnlocked(row, (error as Error).message, actor);
        throw error;
      }
      row = await notify(await this.advance(row, "stored", actor, `New token written to ${this.options.stores.map((s) => s.name).join(", ")}`, { stores: this.options.stores.map((s) => s.name), new: pending.fingerprint }));
    }

    if (!reached(row, "smoke-tested")) {
      try {
        const stored = await this.readBack();
        if (stored && !stored.equals(pending)) throw new RotationFailed(`the store holds ${stored.fingerprint}, not the new token ${pending.fingerprint}`, "smoke-test-failed");
        const used = stored ?? pending;
        if (this.options.repository) await this.options.identity.smokeTest(used, this.options.repository);
        else await this.options.identity.readFacts(used);
      } catch (error) {
        const message = error instanceof RotationFailed && error.code === "smoke-test-failed" ? error.message : `smoke test failed: ${(error as Error).message}`;
        await this.rollBackUnlocked(row, message, actor);
        throw new RotationFailed(message, "smoke-test-failed");
      }
      row = await notify(await this.advance(row, "smoke-tested", actor, `Smoke test passed: read ${this.options.repository ?? "the account"} with the new token`, { new: pending.fingerprint, repository: this.options.repository ?? null }));
    }

    // From here on the new token works and is stored: nothing rolls back any more.
    let warning: string | null = null;
    const hasOld = previous !== undefined && !previous.equals(pending);
    if (!reached(row, "old-revoked")) {
      if (hasOld) {
        try {
          await this.options.identity.revoke(previous);
        } catch (error) {
          warning = `the old token ${previous.fingerprint} could not be revoked (${(error as Error).message}); revoke it by hand`;
        }
      }
      row = await notify(await this.advance(row, "old-revoked", actor, hasOld ? `Old token ${previous.fingerprint} revoked` : "No old token to revoke", { old: previous?.fingerprint ?? null, warning }));
    }

    if (!reached(row, "old-dead")) {
      let dead = !hasOld;
      if (hasOld) {
        try {
          dead = await this.options.identity.isDead(previous);
        } catch (error) {
          warning ??= `cannot check that the old token is dead: ${(error as Error).message}`;
        }
        if (!dead) warning ??= `GitHub still accepts the old token ${previous.fingerprint}; revoke it by hand on GitHub's token page`;
      }
      row = await notify(await this.advance(row, "old-dead", actor, dead ? "Old token confirmed dead (401)" : "Old token still alive", { old: previous?.fingerprint ?? null, dead }, warning ? { error: warning } : {}));
    }

    for (const store of this.options.stores) await store.finish?.();
    this.options.stages.clear();
    this.options.current.set(pending);
    const done = await this.finish(row, "done", actor, `Rotation #${row.id} done: ${pending.fingerprint} is the current token`, { new: pending.fingerprint, old: previous?.fingerprint ?? null, warning: row.error });
    return notify(done);
  }

  /** Cancels or rolls back a rotation in progress (the old token goes back into every store). */
  rollBack(id: number, reason: string, actor: string): Promise<Rotation> {
    return this.exclusive(async () => {
      const row = await this.rows.findOneBy({ id });
      if (!row || (row.outcome !== "running" && row.outcome !== "rolling-back")) throw new RotationFailed(`rotation #${id} is no longer in progress`, "gone");
      if (reached(row, "smoke-tested")) throw new RotationFailed(`rotation #${id} passed its smoke test; it can only be finished`, "refused");
      return this.rollBackUnlocked(row, reason, actor);
    });
  }

  private async rollBackUnlocked(row: Rotation, reason: string, actor: string, kind = "rotation.rolled-back"): Promise<Rotation> {
    // Recorded first: a crash while restoring the stores goes on restoring on the next start.
    row.outcome = "rolling-back";
    row.error = reason;
    row.updatedAt = this.options.now();
    await this.rows.save(row);
    const previous = this.previousOf(row);
    const restored: string[] = [];
    const failures: string[] = [];
    if (reached(row, "approved") && previous) {
      for (const store of this.options.stores) {
        try {
          await store.write(previous);
          restored.push(store.name);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    }
    if (failures.length === 0) for (const store of this.options.stores) await store.finish?.();
    this.options.stages.clear();
    return this.finish(row, "rolled-back", actor, `Rotation #${row.id} rolled back: ${reason}`, {
      reason,
      old: previous?.fingerprint ?? null,
      restored,
      restoreFailures: failures,
    }, kind);
  }

  /**
   * At start: every unfinished rotation resumes (from its last recorded step) or rolls back.
   * A rotation that passed its approval resumes; an `app` rotation resumes from any step; a
   * `pat` rotation still waiting for its token rolls back, one with a token staged waits for
   * an admin's choice; a rollback in progress is finished.
   */
  async recover(actor = "system", onStep?: StepListener): Promise<Recovery[]> {
    const unfinished = await this.rows.find({ where: [{ outcome: "running" }, { outcome: "rolling-back" }], order: { id: "ASC" } });
    const results: Recovery[] = [];
    for (const row of unfinished) {
      try {
        if (row.outcome === "rolling-back") {
          const done = await this.exclusive(() => this.rollBackUnlocked(row, row.error ?? "interrupted by a restart", actor));
          results.push({ rotation: done, action: "rolled-back", reason: done.error ?? undefined });
          continue;
        }
        const staged = this.options.stages.read();
        const hasPending = staged?.rotationId === row.id && staged.pending !== undefined;
        if (reached(row, "staged") && !hasPending) {
          const done = await this.exclusive(() => this.rollBackUnlocked(row, "the staged token was lost in a restart", actor));
          results.push({ rotation: done, action: "rolled-back", reason: done.error ?? undefined });
          continue;
        }
        if (this.options.identity.kind === "pat" && !reached(row, "approved")) {
          if (!hasPending) {
            const done = await this.exclusive(() => this.rollBackUnlocked(row, "gaia restarted before the new token was given", actor));
            results.push({ rotation: done, action: "rolled-back", reason: done.error ?? undefined });
          } else {
            // The admin's choice starts now: the abandoned-flow clock restarts with it.
            row.updatedAt = this.options.now();
            results.push({ rotation: await this.rows.save(row), action: "awaiting-admin" });
          }
          continue;
        }
        await this.audit(row, "rotation.resumed", `Rotation #${row.id} resumes after a restart at step ${row.step}`, actor, { step: row.step });
        const done = await this.runToEnd(row.id, actor, onStep);
        results.push({ rotation: done, action: "resumed" });
      } catch (error) {
        const latest = (await this.rows.findOneBy({ id: row.id })) ?? row;
        this.options.logger.warn({ err: error, rotation: row.id }, "an unfinished rotation could not be resumed");
        results.push({ rotation: latest, action: latest.outcome === "rolled-back" ? "rolled-back" : "resumed", reason: (error as Error).message });
      }
    }
    return results;
  }

  /**
   * Rolls back chat rotations left waiting (a /rotate flow nobody finished) for longer than
   * `idleMs` before their approval; returns them.
   */
  async rollBackAbandoned(idleMs: number, actor = "system"): Promise<Rotation[]> {
    const cutoff = this.options.now().getTime() - idleMs;
    const waiting = await this.rows.find({ where: { outcome: "running", trigger: "chat" } });
    const abandoned: Rotation[] = [];
    for (const row of waiting) {
      if (reached(row, "approved") || row.updatedAt.getTime() > cutoff) continue;
      abandoned.push(await this.exclusive(() => this.rollBackUnlocked(row, "the /rotate flow was abandoned (no answer)", actor)));
    }
    return abandoned;
  }

  /** Runs a rotation from its last step to the end without a human: mint (app), verify, approve, complete. */
  async runToEnd(id: number, actor: string, onStep?: StepListener): Promise<Rotation> {
    let row = await this.running(id);
    if (!reached(row, "staged")) row = await this.mintAndStage(id, actor);
    if (!reached(row, "verified")) row = (await this.verify(id, actor)).rotation;
    if (!reached(row, "approved")) row = await this.approve(id, actor);
    return this.complete(id, actor, onStep);
  }

  /** A whole rotation for the `app` identity, as the schedule runs it. */
  async rotateAutomatically(actor = "system", onStep?: StepListener): Promise<Rotation> {
    const row = await this.request({ trigger: "schedule", actor });
    return this.runToEnd(row.id, actor, onStep);
  }

  private async readBack(): Promise<Secret | undefined> {
    for (const store of this.options.stores) {
      if (store.readBack) return store.readBack();
    }
    return undefined;
  }

  private async running(id: number): Promise<Rotation> {
    const row = await this.rows.findOneBy({ id });
    if (!row || row.outcome !== "running") throw new RotationFailed(`rotation #${id} is no longer in progress`, "gone");
    return row;
  }

  private pendingOf(row: Rotation): Secret {
    const staged = this.options.stages.read();
    if (staged?.rotationId !== row.id || !staged.pending) throw new RotationFailed(`rotation #${row.id} has no staged token`, "gone");
    return staged.pending;
  }

  private async advance(row: Rotation, step: RotationStep, actor: string, message: string, details: Record<string, unknown>, changes: Partial<Rotation> = {}): Promise<Rotation> {
    Object.assign(row, changes, { step, updatedAt: this.options.now() });
    const saved = await this.options.dataSource.transaction(async (manager) => {
      const stored = await manager.getRepository(Rotation).save(row);
      await this.options.audit.record({ kind: `rotation.${step}`, message, actor, subject: `rotation:${row.id}`, details: { rotation: row.id, ...details } }, { manager });
      return stored;
    });
    this.options.logger.info({ rotation: row.id, step }, "rotation step done");
    return saved;
  }

  private async finish(row: Rotation, outcome: "done" | "rolled-back", actor: string, message: string, details: Record<string, unknown>, kind?: string): Promise<Rotation> {
    const now = this.options.now();
    Object.assign(row, { outcome, updatedAt: now, finishedAt: now, ...(outcome === "done" ? { step: "done" } : {}) });
    const saved = await this.options.dataSource.transaction(async (manager) => {
      const stored = await manager.getRepository(Rotation).save(row);
      await this.options.audit.record({ kind: kind ?? `rotation.${outcome}`, message, actor, subject: `rotation:${row.id}`, details: { rotation: row.id, step: row.step, ...details } }, { manager });
      return stored;
    });
    this.options.logger.info({ rotation: row.id, outcome }, "rotation finished");
    return saved;
  }

  private audit(row: Rotation, kind: string, message: string, actor: string, details: Record<string, unknown>) {
    return this.options.audit.record({ kind, message, actor, subject: `rotation:${row.id}`, details: { rotation: row.id, ...details } });
  }
}
