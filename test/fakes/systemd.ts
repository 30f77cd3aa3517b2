/**
 * A stub systemd on a private D-Bus: a real dbus-daemon (started with a config file of its own in
 * a temp folder, listening on a unix socket there) and, on it, a small client that owns
 * org.freedesktop.systemd1 and answers what gaia asks, strict like systemd on those calls:
 * Manager.GetUnit (org.freedesktop.systemd1.NoSuchUnit for a unit not loaded), Manager.LoadUnit
 * (a path even for an unknown name, whose LoadState is then not-found), Manager.RestartUnit (a
 * job path), and Properties.GetAll on the unit's object for org.freedesktop.systemd1.Unit and,
 * for a .service, org.freedesktop.systemd1.Service (UnknownInterface otherwise). Object paths
 * are escaped as systemd escapes them. The tests script each unit's state through `set`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Message, type MessageBus, sessionBus, Variant } from "@jellybrick/dbus-next";

/** Where dbus-daemon is, or undefined when this machine has none (the tests then skip, saying so). */
export function findDbusDaemon(): string | undefined {
  for (const candidate of ["/usr/bin/dbus-daemon", "/bin/dbus-daemon"]) if (existsSync(candidate)) return candidate;
  const which = spawnSync("sh", ["-c", "command -v dbus-daemon"], { encoding: "utf8" });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

/** A dbus-daemon of the test's own; `denySystemd` adds a policy like one that forbids asking systemd. */
export class PrivateBus {
  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    /** The bus's address, for DBUS_SYSTEM_BUS_ADDRESS. */
    readonly address: string,
    readonly socket: string,
  ) {}

  /** Starts a dbus-daemon; with `dir`, on the socket of a bus stopped before (a restarted bus). */
  static async start(options: { denySystemd?: boolean; dir?: string } = {}): Promise<PrivateBus> {
    const daemon = findDbusDaemon();
    if (!daemon) throw new Error("no dbus-daemon on this machine");
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "gaia-dbus-"));
    const socket = join(dir, "system_bus_socket");
    rmSync(socket, { force: true });
    const config = join(dir, "bus.conf");
    writeFileSync(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="*"/>
    <allow receive_type="*"/>
    <allow send_destination="*"/>
    ${options.denySystemd ? '<deny send_destination="org.freedesktop.systemd1"/>' : ""}
  </policy>
</busconfig>
`,
    );
    const child = spawn(daemon, [`--config-file=${config}`, "--print-address", "--nofork"], { stdio: ["ignore", "pipe", "pipe"] });
    const address = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      const timer = setTimeout(() => reject(new Error(`dbus-daemon did not start: ${err}`)), 10_000);
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) {
          clearTimeout(timer);
          resolve(out.split("\n")[0].trim());
        }
      });
      child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`dbus-daemon exited with ${code}: ${err}`));
      });
    });
    return new PrivateBus(child, dir, address, socket);
  }

  /** Stops the daemon (its clients see the bus go away); the folder stays until `remove`. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await exited;
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A unit's state as the stub reports it; unset properties take systemd's values for a unit at rest. */
export interface FakeUnit {
  activeState: string;
  subState: string;
  loadState?: string;
  type?: string;
  result?: string;
  mainPid?: number;
  controlGroup?: string;
  nRestarts?: number;
  execMainCode?: number;
  execMainStatus?: number;
  /** µs since the epoch. */
  activeEnterTimestamp?: number;
}

const MANAGER = "org.freedesktop.systemd1.Manager";
const UNIT_PREFIX = "/org/freedesktop/systemd1/unit/";

/** systemd's object path of a unit: every byte other than [A-Za-z0-9] as _XX (bus_label_escape). */
export function unitObjectPath(name: string): string {
  return UNIT_PREFIX + [...Buffer.from(name)].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `_${b.toString(16).padStart(2, "0")}`)).join("");
}

export class FakeSystemd {
  private readonly units = new Map<string, FakeUnit>();
  /** Units loaded by LoadUnit although unknown: their LoadState is not-found. */
  private readonly loaded = new Set<string>();
  /** While true, calls get no answer at all (a hung systemd). */
  silent = false;
  /** While true, RestartUnit is refused as systemd refuses a user without polkit's consent. */
  refuseRestart = false;
  /** Every call, as "Member arg". */
  readonly calls: string[] = [];
  /** Units restarted through Manager.RestartUnit, in order. */
  readonly restarts: string[] = [];

  private constructor(private readonly bus: MessageBus) {}

  static async start(address: string): Promise<FakeSystemd> {
    const bus = sessionBus({ busAddress: address });
    (bus as unknown as NodeJS.EventEmitter).on("error", () => undefined);
    const fake = new FakeSystemd(bus);
    bus.addMethodHandler((message) => fake.handle(message));
    await bus.requestName("org.freedesktop.systemd1", 0);
    return fake;
  }

  set(unit: string, state: FakeUnit): void {
    this.units.set(unit, state);
  }

  stop(): void {
    this.bus.disconnect();
  }

  private handle(message: Message): boolean {
    const member = message.member ?? "";
    const arg = typeof message.body[0] === "string" ? message.body[0] : "";
    this.calls.push(`${member} ${arg}`);
    if (this.silent) return true;
    const reply = (signature: string, body: unknown[]) => this.bus.send(Message.newMethodReturn(message, signature, body));
    const error = (name: string, text: string) => this.bus.send(Message.newError(message, name, text));
    if (message.interface === MANAGER) {
      switch (member) {
        case "GetUnit":
          if (!this.units.has(arg) && !this.loaded.has(arg)) error("org.freedesktop.systemd1.NoSuchUnit", `Unit ${arg} not loaded.`);
          else reply("o", [unitObjectPath(arg)]);
          return true;
        case "LoadUnit":
          if (!this.units.has(arg)) this.loaded.add(arg);
          reply("o", [unitObjectPath(arg)]);
          return true;
        case "RestartUnit":
          if (this.refuseRestart) error("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", "Interactive authentication required.");
          else if (!this.units.has(arg)) error("org.freedesktop.systemd1.NoSuchUnit", `Unit ${arg} not found.`);
          else {
            this.restarts.push(arg);
            reply("o", [`/org/freedesktop/systemd1/job/${this.restarts.length}`]);
          }
          return true;
      }
      error("org.freedesktop.DBus.Error.UnknownMethod", `Unknown method ${member}`);
      return true;
    }
    if (message.interface === "org.freedesktop.DBus.Properties" && member === "GetAll" && message.path?.startsWith(UNIT_PREFIX)) {
      const name = [...this.units.keys(), ...this.loaded].find((n) => unitObjectPath(n) === message.path);
      if (name === undefined) {
        error("org.freedesktop.DBus.Error.UnknownObject", `Unknown object '${message.path}'.`);
        return true;
      }
      const unit: FakeUnit = this.units.get(name) ?? { loadState: "not-found", activeState: "inactive", subState: "dead" };
      if (arg === "org.freedesktop.systemd1.Unit") {
        reply("a{sv}", [
          {
            Id: new Variant("s", name),
            LoadState: new Variant("s", unit.loadState ?? "loaded"),
            ActiveState: new Variant("s", unit.activeState),
            SubState: new Variant("s", unit.subState),
            ActiveEnterTimestamp: new Variant("t", BigInt(unit.activeEnterTimestamp ?? 0)),
          },
        ]);
        return true;
      }
      if (arg === "org.freedesktop.systemd1.Service" && name.endsWith(".service") && this.units.has(name)) {
        reply("a{sv}", [
          {
            Type: new Variant("s", unit.type ?? "simple"),
            Result: new Variant("s", unit.result ?? "success"),
            MainPID: new Variant("u", unit.mainPid ?? 0),
            ControlGroup: new Variant("s", unit.controlGroup ?? ""),
            NRestarts: new Variant("u", unit.nRestarts ?? 0),
            ExecMainCode: new Variant("i", unit.execMainCode ?? 0),
            ExecMainStatus: new Variant("i", unit.execMainStatus ?? 0),
          },
        ]);
        return true;
      }
      error("org.freedesktop.DBus.Error.UnknownInterface", `Unknown interface ${arg}.`);
      return true;
    }
    return false;
  }
}
