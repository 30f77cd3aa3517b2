/**
 * systemd's D-Bus API on the system bus (org.freedesktop.systemd1), through @jellybrick/dbus-next's
 * low-level Message + bus.call: no systemctl process, and none of the library's introspection.
 * Loaded only when gaia.yml watches a unit (the probe imports unit-checks.ts dynamically, the
 * restarter this file), so nobody else pays for the client.
 *
 * Every call has its own deadline: a bus that never answers fails the call, not the probe. A
 * connection that failed or went away (dbus-daemon restarted) is dropped and made anew by the
 * next call.
 */
import type { EventEmitter } from "node:events";
import { DBusError, Message, type MessageBus, sessionBus } from "@jellybrick/dbus-next";
import type { UnitProperties } from "./unit-state.js";

const SYSTEMD = "org.freedesktop.systemd1";
const MANAGER_PATH = "/org/freedesktop/systemd1";
const MANAGER = "org.freedesktop.systemd1.Manager";
const PROPERTIES = "org.freedesktop.DBus.Properties";

/** The interface beside org.freedesktop.systemd1.Unit that holds a unit type's Result and ControlGroup. */
const TYPE_INTERFACES: Record<string, string> = {
  service: "org.freedesktop.systemd1.Service",
  socket: "org.freedesktop.systemd1.Socket",
  mount: "org.freedesktop.systemd1.Mount",
  swap: "org.freedesktop.systemd1.Swap",
  scope: "org.freedesktop.systemd1.Scope",
  slice: "org.freedesktop.systemd1.Slice",
};

/**
 * A call to systemd that did not give an answer. `problem` is short and stable, for the words in
 * /status and `gaia check`: a socket error's code (ENOENT: no socket, EACCES: no permission,
 * ECONNREFUSED), "timeout", or the D-Bus error's last part (AccessDenied, ServiceUnknown…).
 */
export class SystemdBusError extends Error {
  constructor(
    message: string,
    readonly problem: string,
    /** The bus answered with this error: the connection itself is sound. */
    readonly fromReply = false,
  ) {
    super(message);
    this.name = "SystemdBusError";
  }
}

/** One connection to the system bus, made when first needed and again after it is lost. */
export class SystemdBus {
  private bus: MessageBus | undefined;
  /** The calls waiting on the current connection: one 'error' listener fails them all (not one listener per call). */
  private waiting = new Set<(error: unknown) => void>();
  /** Whether the current connection has answered once: then a failure means it went away, and one retry on a new connection is worth it. */
  private answered = false;

  constructor(
    /** A D-Bus address, e.g. unix:path=/var/run/dbus/system_bus_socket. */
    readonly address: string,
    /** Each call's deadline. */
    private readonly timeoutMs: number,
  ) {}

  /** Reads a unit's state: its object path (GetUnit, or LoadUnit when it is not loaded), then its properties. */
  async readUnit(name: string): Promise<UnitProperties> {
    const path = await this.unitPath(name);
    const unit = await this.getAll(path, "org.freedesktop.systemd1.Unit");
    const props: UnitProperties = {
      loadState: text(unit.LoadState) ?? "unknown",
      activeState: text(unit.ActiveState) ?? "unknown",
      subState: text(unit.SubState) ?? "unknown",
    };
    const entered = number(unit.ActiveEnterTimestamp);
    if (entered !== undefined) props.activeEnterTimestampUs = entered;
    const typeInterface = TYPE_INTERFACES[name.slice(name.lastIndexOf(".") + 1)];
    if (typeInterface && props.loadState !== "not-found") {
      const typed = await this.getAll(path, typeInterface);
      const type = text(typed.Type);
      const result = text(typed.Result);
      const controlGroup = text(typed.ControlGroup);
      const mainPid = number(typed.MainPID);
      const restarts = number(typed.NRestarts);
      const execMainCode = number(typed.ExecMainCode);
      const execMainStatus = number(typed.ExecMainStatus);
      if (type !== undefined) props.type = type;
      if (result !== undefined) props.result = result;
      if (controlGroup) props.controlGroup = controlGroup;
      if (mainPid !== undefined) props.mainPid = mainPid;
      if (restarts !== undefined) props.restarts = restarts;
      if (execMainCode !== undefined) props.execMainCode = execMainCode;
      if (execMainStatus !== undefined) props.execMainStatus = execMainStatus;
    }
    return props;
  }

  /** Manager.RestartUnit(name, "replace"): systemd queues the restart job; resolves with the job's path. */
  async restartUnit(name: string): Promise<string> {
    const reply = await this.call(new Message({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member: "RestartUnit", signature: "ss", body: [name, "replace"] }));
    return String(reply.body[0]);
  }

  /** Closes the connection (the next call opens a new one). */
  close(): void {
    this.drop(this.bus);
  }

  private async unitPath(name: string): Promise<string> {
    try {
      const reply = await this.call(new Message({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member: "GetUnit", signature: "s", body: [name] }));
      return String(reply.body[0]);
    } catch (error) {
      if (!(error instanceof SystemdBusError) || error.problem !== "NoSuchUnit") throw error;
      // Not loaded now (an inactive unit systemd let go of, or no such unit: LoadState then says not-found).
      const reply = await this.call(new Message({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member: "LoadUnit", signature: "s", body: [name] }));
      return String(reply.body[0]);
    }
  }

  private async getAll(path: string, iface: string): Promise<Record<string, unknown>> {
    const reply = await this.call(new Message({ destination: SYSTEMD, path, interface: PROPERTIES, member: "GetAll", signature: "s", body: [iface] }));
    const values: Record<string, unknown> = {};
    for (const [key, variant] of Object.entries((reply.body[0] ?? {}) as Record<string, { value: unknown }>)) values[key] = variant?.value;
    return values;
  }

  /** One method call within the deadline; a connection that answered before and fails now is replaced once. */
  private async call(message: Message): Promise<Message> {
    const hadAnswered = this.bus !== undefined && this.answered;
    try {
      return await this.callOnce(message);
    } catch (error) {
      if (!hadAnswered || !(error instanceof SystemdBusError) || !isConnectionProblem(error.problem)) throw error;
      return this.callOnce(new Message({ destination: message.destination, path: message.path, interface: message.interface, member: message.member, signature: message.signature, body: message.body }));
    }
  }

  private callOnce(message: Message): Promise<Message> {
    const bus = this.connect();
    const waiting = this.waiting;
    return new Promise<Message>((resolve, reject) => {
      let settled = false;
      const settle = (error: SystemdBusError | undefined, reply?: Message) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        waiting.delete(onError);
        if (error) {
          // A reply that is a D-Bus error leaves the connection sound; anything else ends it.
          if (!error.fromReply) this.drop(bus);
          reject(error);
        } else {
          this.answered = true;
          resolve(reply!);
        }
      };
      const onError = (error: unknown) => settle(busError(error, this.address));
      const timer = setTimeout(
        () => settle(new SystemdBusError(`no answer from systemd on ${this.address} within ${this.timeoutMs} ms`, "timeout")),
        this.timeoutMs,
      );
      waiting.add(onError);
      let pending: Promise<Message | null>;
      try {
        pending = bus.call(message);
      } catch (error) {
        settle(busError(error, this.address));
        return;
      }
      pending.then(
        (reply) => (reply ? settle(undefined, reply) : settle(new SystemdBusError("systemd sent no reply", "no reply", true))),
        (error: unknown) => settle(busError(error, this.address)),
      );
    });
  }

  private connect(): MessageBus {
    if (this.bus) return this.bus;
    // sessionBus() is the library's client for any address; its systemBus() would read the environment itself.
    const bus = sessionBus({ busAddress: this.address });
    // Without a listener an 'error' event would throw; this one drops the connection and fails the calls waiting on it.
    const waiting = new Set<(error: unknown) => void>();
    errorsOf(bus).on("error", (error: unknown) => {
      if (this.bus === bus) this.drop(bus);
      for (const fail of [...waiting]) fail(error);
    });
    this.waiting = waiting;
    // The library queues calls on a connection whose peer hung up (dbus-daemon restarted) instead of
    // failing them; its connection's 'end' turned into an error fails them now, not at their deadline.
    (bus as unknown as { _connection?: EventEmitter })._connection?.once?.("end", () => errorsOf(bus).emit("error", new Error("the system bus closed the connection")));
    this.bus = bus;
    this.answered = false;
    return bus;
  }

  private drop(bus: MessageBus | undefined): void {
    if (!bus) return;
    if (this.bus === bus) this.bus = undefined;
    try {
      bus.disconnect();
    } catch {
      // Already closed.
    }
  }
}

/** The bus emits 'error' (a socket or handshake failure), although its typed events leave it out. */
function errorsOf(bus: MessageBus): EventEmitter {
  return bus as unknown as EventEmitter;
}

/** A socket error, a D-Bus error reply, or the library's own error, as a SystemdBusError. */
function busError(error: unknown, address: string): SystemdBusError {
  if (error instanceof DBusError) {
    const problem = error.type.slice(error.type.lastIndexOf(".") + 1);
    return new SystemdBusError(`systemd answered ${error.type}${error.text ? `: ${error.text}` : ""}`, problem, true);
  }
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new SystemdBusError(`cannot talk to the system bus at ${address}: ${code ?? message}`, code ?? (/closed/i.test(message) ? "closed" : message.slice(0, 120)));
}

/** Problems after which a new connection may succeed where the old one failed. */
function isConnectionProblem(problem: string): boolean {
  return problem === "closed" || problem === "EPIPE" || problem === "ECONNRESET";
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function number(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return undefined;
}
