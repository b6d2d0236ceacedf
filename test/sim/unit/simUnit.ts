import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Artifacts } from "./artifacts";
import { HOST_PYTHON, SIM_FILES } from "./paths";
import { run } from "./processes";
import { shq } from "../../../core/shell";

export interface SimUnitSpec {
  unit: string;
  address: string;
  machine: string;
  workDir: string;
  artifacts: Artifacts;
  trust?: { form: "name" | "id"; password: string };
  preinstalledDriver?: "1.3.0" | "1.4.0";
  preinstalledHelm?: string;
  etcDefault?: string;
  /**
   * The conductor's python3: a venv (the default), or a system Python whose stdlib carries the PEP 668
   * marker EXTERNALLY-MANAGED, as Ubuntu noble's does (files/system-python.sh).
   */
  python?: "venv" | "system";
  /**
   * What `python3 --version` prints instead of the truth, as "3.8.10": this machine has no Python
   * older than a driver's floor, so an old unit is its python3 behind a shim that answers --version.
   */
  pythonVersionShown?: string;
  /** Whether the unit runs magnum-api beside the conductor, as charm units do (default true). */
  api?: boolean;
  /** A driver installed before the graft (k8s_fedora_coreos_v1's cluster type), so the API's cache fills. */
  preGraftDriver?: boolean;
  /** magnum.conf's [keystone_authtoken] www_authenticate_uri; loopback only (the preflight reaches it). */
  identityUri?: string;
}

type User = "root" | "ubuntu" | "magnum";

const USER_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin";
const HOMES: Record<User, string> = { root: "/root", ubuntu: "/home/ubuntu", magnum: "/var/lib/magnum" };
// The unit mounts over these; a work dir beneath one would vanish from its own view.
const SHADOWED = ["/etc", "/usr", "/var", "/opt", "/run", "/home", "/root"];

/** argv that runs `bash -c script` as `user` inside the unit's namespaces, in the user's home. */
export function unitCommand(pid: number, user: User, script: string): string[] {
  const home = HOMES[user];
  // pdeathsig: when the caller's nsenter dies (a killed `juju ssh`), the remote shell dies too.
  const ids = user === "root" ? [] : [`--reuid=${user}`, `--regid=${user}`, "--init-groups"];
  const drop = ["setpriv", "--pdeathsig", "KILL", ...ids];
  const env = [
    `HOME=${home}`,
    `USER=${user}`,
    `LOGNAME=${user}`,
    "SHELL=/bin/bash",
    `PATH=${USER_PATH}`,
    "LANG=C.UTF-8",
  ];
  return [
    "-t",
    String(pid),
    "-m",
    "-p",
    "-u",
    `--wdns=${home}`,
    "--",
    ...drop,
    "env",
    "-i",
    ...env,
    "/bin/bash",
    "-c",
    script,
  ];
}

function checkWorkDir(dir: string): void {
  if (!path.isAbsolute(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`SimUnit: workDir must be an existing absolute directory: ${dir}`);
  }
  const bad = SHADOWED.find((p) => dir === p || dir.startsWith(`${p}/`));
  if (bad) throw new Error(`SimUnit: workDir ${dir} is under ${bad}, which the unit mounts over`);
}

function hostnameFor(machine: string): string {
  return `juju-7f3a21-${machine.replace(/\//g, "-")}`;
}

function childPid(parent: number): number | undefined {
  try {
    const kids = fs.readFileSync(`/proc/${parent}/task/${parent}/children`, "utf8").trim().split(/\s+/);
    return kids[0] ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** A daemon start that got as far as serving: when (ms), its pid, the drivers it loaded. */
export interface DaemonStart {
  readonly at: number;
  readonly pid: number;
  readonly drivers: string[];
  readonly driverVersion: string | null;
}

function recordLines(file: string): string[] {
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
    : [];
}

/** One `systemctl restart magnum-conductor`: when it began and when the new daemon served (ms). */
export interface RestartWindow {
  readonly start: number;
  /** When the daemon it started had loaded its drivers; undefined while it has not (or failed). */
  readonly end?: number;
  readonly pid?: number;
  readonly drivers?: string[];
  readonly driverVersion?: string | null;
}

export class SimUnit {
  readonly statusFile: string;
  private stopped = false;

  private constructor(
    readonly spec: SimUnitSpec,
    readonly pid: number,
    private readonly holder: ChildProcess,
  ) {
    this.statusFile = path.join(spec.workDir, "run", "magnum", "conductor-status.json");
  }

  /** Creates the unit's namespaces and provisions it; resolves once the unit is up (daemon started). */
  static async start(spec: SimUnitSpec): Promise<SimUnit> {
    checkWorkDir(spec.workDir);
    const inputs = path.join(spec.workDir, "inputs");
    fs.mkdirSync(inputs, { recursive: true, mode: 0o700 });
    const passwordFile = path.join(inputs, "trust-password");
    fs.writeFileSync(passwordFile, spec.trust?.password ?? "Zq8vT3mK9pLw2xR7", { mode: 0o600 });
    const etcDefaultFile = spec.etcDefault === undefined ? "" : path.join(inputs, "etc-default");
    if (etcDefaultFile) fs.writeFileSync(etcDefaultFile, spec.etcDefault ?? "");
    const env = {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      SIM_WORK: spec.workDir,
      SIM_FILES,
      SIM_ARTIFACTS: path.dirname(spec.artifacts.indexDir),
      SIM_STACK: spec.artifacts.stack,
      SIM_HOSTNAME: hostnameFor(spec.machine),
      SIM_TRUST_FORM: spec.trust?.form ?? "name",
      SIM_TRUST_PASSWORD_FILE: passwordFile,
      SIM_DRIVER: spec.preinstalledDriver ?? "",
      SIM_HELM: spec.preinstalledHelm ?? "",
      SIM_ETC_DEFAULT_FILE: etcDefaultFile,
      SIM_PYTHON: spec.python ?? "venv",
      SIM_PYTHON_SHOWN: spec.pythonVersionShown ?? "",
      SIM_API: spec.api === false ? "0" : "1",
      SIM_PRE_GRAFT_DRIVER: spec.preGraftDriver ? "1" : "0",
      SIM_IDENTITY_URI: spec.identityUri ?? "",
    };
    if (spec.preinstalledHelm && !spec.artifacts.helmTarballs[spec.preinstalledHelm]) {
      throw new Error(`SimUnit: no helm tarball for ${spec.preinstalledHelm}`);
    }
    const args = ["--mount", "--pid", "--fork", "--mount-proc", "--uts", "--propagation", "private"];
    const holder = spawn("unshare", [...args, HOST_PYTHON, "-I", path.join(SIM_FILES, "holder.py")], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    holder.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-8000)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        holder.kill("SIGKILL");
        reject(new Error(`SimUnit.start(${spec.unit}): unit set-up timed out; stderr:\n${stderr}`));
      }, 60000);
      holder.on("error", (e) => reject(new Error(`SimUnit.start: cannot run unshare: ${e.message}`)));
      holder.on("exit", (code) => {
        clearTimeout(timer);
        reject(
          new Error(
            `SimUnit.start(${spec.unit}): could not create the unit's mount/pid namespaces or set it up ` +
              `(unshare exited ${code}; needs root and unprivileged-namespace support). stderr:\n${stderr}`,
          ),
        );
      });
      holder.stdout?.on("data", (b: Buffer) => {
        if (b.toString().includes("READY")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const pid = childPid(holder.pid ?? -1);
    if (pid === undefined) {
      holder.kill("SIGKILL");
      throw new Error(`SimUnit.start(${spec.unit}): cannot find the namespace's init process`);
    }
    return new SimUnit(spec, pid, holder);
  }

  async sh(
    script: string,
    opts: { user?: User; stdin?: Buffer; timeoutMs?: number } = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const res = await this.exec(script, opts);
    return { code: res.code, stdout: res.stdout.toString(), stderr: res.stderr.toString() };
  }

  private exec(script: string, opts: { user?: User; stdin?: Buffer; timeoutMs?: number } = {}) {
    if (this.stopped) throw new Error(`SimUnit ${this.spec.unit} is stopped`);
    return run("nsenter", unitCommand(this.pid, opts.user ?? "root", script), {
      stdin: opts.stdin,
      timeoutMs: opts.timeoutMs ?? 60000,
    });
  }

  async readFile(p: string): Promise<Buffer | undefined> {
    const res = await this.exec(`[ -e ${shq(p)} ] || exit 3; cat -- ${shq(p)}`);
    if (res.code === 3) return undefined;
    if (res.code !== 0) throw new Error(`readFile ${p}: ${res.stderr.toString()}`);
    return res.stdout;
  }

  async stat(p: string): Promise<{ mode: string; owner: string; group: string } | undefined> {
    const res = await this.exec(`[ -e ${shq(p)} ] || exit 3; stat -c '%a %U %G' -- ${shq(p)}`);
    if (res.code === 3) return undefined;
    if (res.code !== 0) throw new Error(`stat ${p}: ${res.stderr.toString()}`);
    const [mode, owner, group] = res.stdout.toString().trim().split(" ");
    return { mode: mode.padStart(4, "0"), owner, group };
  }

  async writeFile(p: string, content: string | Buffer, mode = "0644", owner = "root:root"): Promise<void> {
    const q = shq(p);
    const script = `set -e; t=$(mktemp ${q}.XXXXXX); cat >"$t"; chmod ${shq(mode)} "$t"; chown ${shq(owner)} "$t"; mv -f "$t" ${q}`;
    const res = await this.exec(script, { stdin: Buffer.from(content) });
    if (res.code !== 0) throw new Error(`writeFile ${p}: ${res.stderr.toString()}`);
  }

  async daemonPid(): Promise<number | undefined> {
    const res = await this.sh("systemctl show magnum-conductor -p MainPID --value");
    const pid = Number(res.stdout.trim());
    return res.code === 0 && pid > 0 ? pid : undefined;
  }

  /** Every start of the daemon that got as far as serving, oldest first, as the daemon recorded it. */
  starts(): DaemonStart[] {
    return recordLines(path.join(this.spec.workDir, "run", "magnum", "conductor-starts.jsonl")).map(
      (l) => JSON.parse(l) as DaemonStart,
    );
  }

  /** Every restart of the daemon so far, oldest first, as systemctl and the daemon recorded them. */
  restartWindows(): RestartWindow[] {
    const file = path.join(this.spec.workDir, "run", "systemd-sim", "magnum-conductor", "restarts");
    const begun = recordLines(file).map(Number);
    const served = this.starts();
    return begun.map((start, i) => {
      const next = begun[i + 1] ?? Infinity;
      const s = served.find((x) => x.at > start && x.at < next);
      return s
        ? { start, end: s.at, pid: s.pid, drivers: s.drivers, driverVersion: s.driverVersion }
        : { start };
    });
  }

  /** Killing the namespace's init makes the kernel kill every process in it; the mounts go with it. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise<void>((resolve) => {
      if (this.holder.exitCode !== null || this.holder.signalCode !== null) resolve();
      else this.holder.once("exit", () => resolve());
    });
    try {
      process.kill(this.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await exited;
  }
}
