import { mustMatch, PATTERNS } from "../../core/shell";
import { JujuTransportSpec } from "../../core/transportSpec";
import { connectionError, timeoutError } from "../errors";
import { runLocalProcess } from "../localProcess";
import { RunOptions, RunResult, StderrLines, tail, Transport, UnitInfo } from "./transport";

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

  private async spawnJuju(argv: string[], what: string, opts: RunOptions): Promise<RunResult> {
    const err = new StderrLines(opts);
    let r;
    try {
      r = await runLocalProcess("juju", argv, {
        stdin: opts.stdin,
        timeoutMs: opts.timeoutMs,
        onStderr: (t) => err.push(t),
      });
    } catch (e) {
      throw connectionError(`${what}: could not start juju (${(e as Error).message}); is juju on PATH?`);
    }
    const stderr = err.end();
    if (r.timedOut)
      throw timeoutError(`${what} did not finish within ${Math.round(opts.timeoutMs / 1000)} s`);
    return { code: r.signal ? 255 : r.code, stdout: r.stdout, stderr };
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
