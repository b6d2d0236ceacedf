import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { shq } from "../../../core/shell";
import { SimUnit, unitCommand } from "../unit/simUnit";

export interface SshdOptions {
  /** An empty directory for keys, config and logs. */
  readonly dir: string;
  /** Each reached by `direct` at its own spec.address (127.0.0.x): a forced command enters the unit. */
  readonly units: readonly SimUnit[];
  /** Put first on PATH of the sessions on 127.0.0.1, the jumphost: where the simulated `juju` is. */
  readonly jujuBinDir: string;
  /** Added to every session that lands in a unit, as the juju fake's `latencyMs` is to every call. */
  readonly latencyMs?: number;
}

function keygen(file: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
  return fs.readFileSync(`${file}.pub`, "utf8").trim();
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function children(pid: number): number[] {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
    return kids.filter((k) => k !== "").map(Number);
  } catch {
    return [];
  }
}

/**
 * Debian's real OpenSSH server on loopback: 127.0.0.1 is the jumphost (its sessions run commands
 * with the simulated juju on PATH), each unit's 127.0.0.x lands in that unit as `ubuntu`. Own host
 * key, own authorized_keys; started and stopped by pid.
 */
export class TestSshd {
  private constructor(
    readonly dir: string,
    readonly port: number,
    /** `ssh-ed25519 AAAA...` of the server's host key. */
    readonly hostKey: string,
    /** The client's private key, authorized for root. */
    readonly clientKey: string,
    /** One line per session that reached a unit: the unit's name. */
    readonly sessionLog: string,
    private readonly proc: ChildProcess,
  ) {}

  static async start(o: SshdOptions): Promise<TestSshd> {
    const d = o.dir;
    const hostKey = keygen(path.join(d, "host_ed25519"));
    const clientKey = path.join(d, "client_ed25519");
    fs.writeFileSync(path.join(d, "authorized_keys"), `${keygen(clientKey)}\n`);
    const sessionLog = path.join(d, "sessions.log");
    fs.writeFileSync(sessionLog, "");
    const port = await freePort();
    const latency = o.latencyMs ?? 0;
    if (!Number.isInteger(latency) || latency < 0)
      throw new Error(`sshd latencyMs: expected an integer >= 0, got ${latency}`);
    const delay = latency > 0 ? `sleep ${(latency / 1000).toFixed(3)}\n` : "";
    const matches = o.units.map((u, i) => {
      const enter = unitCommand(u.pid, "ubuntu", "").slice(0, -1).map(shq).join(" ");
      const wrapper = path.join(d, `unit-${i}.sh`);
      fs.writeFileSync(
        wrapper,
        `#!/bin/bash\necho ${shq(u.spec.unit)} >> ${shq(sessionLog)}\n${delay}` +
          `exec setpriv --pdeathsig KILL nsenter ${enter} "$SSH_ORIGINAL_COMMAND"\n`,
        { mode: 0o755 },
      );
      return `Match LocalAddress ${u.spec.address}\n  ForceCommand ${wrapper}\n`;
    });
    const config = [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      ...o.units.map((u) => `ListenAddress ${u.spec.address}`),
      `HostKey ${path.join(d, "host_ed25519")}`,
      `PidFile ${path.join(d, "sshd.pid")}`,
      `AuthorizedKeysFile ${path.join(d, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      `SetEnv PATH=${o.jujuBinDir}:/usr/local/bin:/usr/bin:/bin`,
      "LogLevel ERROR",
      ...matches,
    ].join("\n");
    fs.writeFileSync(path.join(d, "sshd_config"), `${config}\n`);
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const proc = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(d, "sshd_config")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    proc.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    const sshd = new TestSshd(d, port, hostKey, clientKey, sessionLog, proc);
    for (let i = 0; ; i++) {
      if (proc.exitCode !== null) throw new Error(`sshd exited ${proc.exitCode}: ${stderr}`);
      if (await accepts(port)) return sshd;
      if (i > 100) {
        await sshd.stop();
        throw new Error(`sshd did not listen on ${port}: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** A known_hosts line for host:port with this server's key (or another key). */
  knownHostsLine(host: string, key = this.hostKey): string {
    return `[${host}]:${this.port} ${key}`;
  }

  /** Sessions that reached a unit, in order. */
  sessions(): string[] {
    return fs
      .readFileSync(this.sessionLog, "utf8")
      .split("\n")
      .filter((l) => l !== "");
  }

  /**
   * Kills every per-connection sshd process (and what it runs): the connections drop. The tree is
   * stopped top-down before anything dies, so no session can report its command's exit status (a
   * killed leaf would otherwise let its shell exit and sshd send that status before the drop).
   */
  killSessions(): void {
    const stopped = children(this.proc.pid ?? -1).flatMap(stopTree);
    for (const pid of stopped) signal(pid, "SIGKILL");
  }

  async stop(): Promise<void> {
    this.killSessions();
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await exited;
  }
}

/** Stops `pid`, then what it started (a stopped parent forks no more); returns them all. */
function stopTree(pid: number): number[] {
  signal(pid, "SIGSTOP");
  return [pid, ...children(pid).flatMap(stopTree)];
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}
