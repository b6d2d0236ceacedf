import { spawn } from "child_process";
import { mustMatch, PATTERNS } from "../../core/shell";
import { JujuTransportSpec } from "../../core/transportSpec";
import { connectionError, timeoutError } from "../errors";
import { RunOptions, RunResult, StderrLines, tail, Transport, UnitInfo } from "./transport";

interface Spawned {
  code: number;
  stdout: string;
  stderr: string;
}

/** `juju ssh`/`juju status` run where Pulumi runs; `juju` comes from PATH. */
export class JujuTransport implements Transport {
  private readonly model: string;

  constructor(spec: JujuTransportSpec) {
    this.model = mustMatch("transport model", spec.model, PATTERNS.model, "a juju model name");
  }

  async run(unit: string, commandLine: string, opts: RunOptions): Promise<RunResult> {
    mustMatch("unit", unit, PATTERNS.unit, "a unit name like magnum/0");
    // Flags go before the unit: everything after it is the remote command line.
    const argv = ["ssh", "-m", this.model, "--pty=false", unit, commandLine];
    const what = `juju ssh to ${unit}`;
    return jujuSshResult(what, await this.spawnJuju(argv, what, opts));
  }

  async describeUnit(unit: string, timeoutMs: number): Promise<UnitInfo | undefined> {
    mustMatch("unit", unit, PATTERNS.unit, "a unit name like magnum/0");
    const r = await this.spawnJuju(["status", "-m", this.model, "--format=json"], "juju status", {
      timeoutMs,
    });
    if (r.code !== 0) {
      throw connectionError(`juju status -m ${this.model} failed with exit ${r.code}: ${tail(r.stderr)}`);
    }
    return unitInStatus(r.stdout, unit);
  }

  private spawnJuju(argv: string[], what: string, opts: RunOptions): Promise<Spawned> {
    return new Promise((resolve, reject) => {
      const child = spawn("juju", argv, {
        stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"],
        detached: true, // its own process group, so a timeout kills juju and its ssh together
      });
      const out: Buffer[] = [];
      const err = new StderrLines(opts);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid) killGroup(child.pid);
      }, opts.timeoutMs);
      child.stdout?.on("data", (b: Buffer) => out.push(b));
      // Decoded as a stream, so a character split across two reads stays whole.
      child.stderr?.setEncoding("utf8");
      child.stderr?.on("data", (b: string) => err.push(b));
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(connectionError(`${what}: could not start juju (${e.message}); is juju on PATH?`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const stderr = err.end();
        if (timedOut) {
          reject(timeoutError(`${what} did not finish within ${Math.round(opts.timeoutMs / 1000)} s`));
          return;
        }
        const stdout = Buffer.concat(out).toString("utf8");
        resolve({ code: code ?? (signal ? 255 : 1), stdout, stderr });
      });
      if (opts.stdin && child.stdin) {
        // A unit that exits without reading its payload closes the pipe; the exit status tells the story.
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.stdin);
      }
    });
  }
}

/** `juju ssh` exits 255 when ssh could not connect or the connection dropped: a connection failure. */
export function jujuSshResult(what: string, r: RunResult): RunResult {
  if (r.code === 255) {
    throw connectionError(
      `${what} failed with exit 255 (ssh could not connect or the connection dropped; ` +
        `the remote command may or may not have run): ${tail(r.stderr)}`,
    );
  }
  return r;
}

/** The unit's address in `juju status --format=json` output; undefined when absent. */
export function unitInStatus(json: string, unit: string): UnitInfo | undefined {
  const status = JSON.parse(json) as {
    applications?: Record<string, { units?: Record<string, { "public-address"?: string }> }>;
  };
  for (const app of Object.values(status.applications ?? {})) {
    const u = app.units?.[unit];
    if (u) return { address: u["public-address"] ?? "" };
  }
  return undefined;
}

/** Kills a detached child and everything it started. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
