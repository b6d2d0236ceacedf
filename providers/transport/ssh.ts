import { constants } from "os";
import { mustMatch, PATTERNS, shq } from "../../core/shell";
import { DirectTransportSpec, JumphostTransportSpec, SshEndpoint } from "../../core/transportSpec";
import { connectionError, timeoutError } from "../errors";
import { jujuSshResult, unitInStatus } from "./juju";
import { acquire, PooledConnection, release, retire } from "./sshPool";
import { RunOptions, RunResult, StderrLines, tail, Transport, UnitInfo } from "./transport";

const UNIT = "a unit name like magnum/0";

/** What is used of ssh2's exec channel (node-ssh ships no ssh2 typings). */
interface ExecChannel extends NodeJS.EventEmitter {
  readonly stderr: NodeJS.ReadableStream;
  end(data?: Buffer): void;
  signal(name: string): void;
  close(): void;
}

/** Runs one command line over a pooled connection to the endpoint, under our own deadline. */
async function exec(
  ep: SshEndpoint,
  what: string,
  commandLine: string,
  opts: RunOptions,
): Promise<RunResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const late = () => timeoutError(`${what} did not finish within ${Math.round(opts.timeoutMs / 1000)} s`);
  let conn: PooledConnection;
  try {
    conn = await acquire(ep, opts.timeoutMs);
  } catch (e) {
    throw (e as Error).name === "ConnectionError" ? connectionError(`${what}: ${(e as Error).message}`) : e;
  }
  if (Date.now() >= deadline) {
    release(conn);
    throw late();
  }
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      const client = conn.ssh.connection;
      if (!client)
        return reject(connectionError(`${what}: the connection to ${conn.endpoint} is gone; nothing ran`));
      // Declared before every closure that uses them: the SDK's closure serializer needs that.
      const call: { settled: boolean; channel?: ExecChannel; timer?: NodeJS.Timeout; dropped?: () => void } =
        { settled: false };
      const finish = (f: () => void) => {
        if (call.settled) return;
        call.settled = true;
        clearTimeout(call.timer);
        if (call.dropped) client.removeListener("close", call.dropped);
        f();
      };
      call.dropped = () =>
        finish(() =>
          reject(
            connectionError(
              `${what}: the SSH connection to ${conn.endpoint} dropped (the remote command may or may not have run)`,
            ),
          ),
        );
      client.once("close", call.dropped);
      call.timer = setTimeout(() => {
        // The signal is best effort (sshd refuses it for forced commands); the close always happens.
        try {
          call.channel?.signal("KILL");
          call.channel?.close();
        } catch {
          // the channel is already gone
        }
        retire(conn); // a connection that timed out may be dead: later calls get a fresh one
        finish(() => reject(late()));
      }, deadline - Date.now());
      client.exec(commandLine, (err: Error | undefined, ch: ExecChannel) => {
        if (err) {
          return finish(() =>
            reject(
              connectionError(`${what}: ${conn.endpoint} refused a session (${err.message}); nothing ran`),
            ),
          );
        }
        call.channel = ch;
        const out: Buffer[] = [];
        const errLines = new StderrLines(opts);
        let exit: number | undefined;
        ch.on("data", (b: Buffer) => out.push(b));
        ch.stderr.setEncoding("utf8");
        ch.stderr.on("data", (b: string) => errLines.push(b));
        ch.on("exit", (code: number | null, signal?: string) => {
          exit = code ?? 128 + (constants.signals[`SIG${signal}` as NodeJS.Signals] ?? 0);
        });
        ch.on("close", () => {
          const stderr = errLines.end();
          if (exit === undefined) return call.dropped?.();
          finish(() =>
            resolve({ code: exit as number, stdout: Buffer.concat(out).toString("utf8"), stderr }),
          );
        });
        // stdin carries this call's payload only; otherwise it is closed at once.
        ch.end(opts.stdin);
      });
    });
  } finally {
    release(conn);
  }
}

/** node-ssh to the jumphost, then `juju ssh` there, exactly as the juju transport runs it locally. */
export class JumphostTransport implements Transport {
  private readonly model: string;

  constructor(private readonly spec: JumphostTransportSpec) {
    this.model = mustMatch("transport model", spec.model, PATTERNS.model, "a juju model name");
  }

  async run(unit: string, commandLine: string, opts: RunOptions): Promise<RunResult> {
    mustMatch("unit", unit, PATTERNS.unit, UNIT);
    const line = `juju ssh -m ${shq(this.model)} --pty=false ${shq(unit)} ${shq(commandLine)}`;
    const what = `juju ssh to ${unit} via ${this.spec.host}`;
    return jujuSshResult(what, await exec(this.spec, what, line, opts));
  }

  async describeUnit(unit: string, timeoutMs: number): Promise<UnitInfo | undefined> {
    mustMatch("unit", unit, PATTERNS.unit, UNIT);
    const what = `juju status -m ${this.model} on ${this.spec.host}`;
    const r = await exec(this.spec, what, `juju status -m ${shq(this.model)} --format=json`, { timeoutMs });
    if (r.code !== 0) throw connectionError(`${what} failed with exit ${r.code}: ${tail(r.stderr)}`);
    return unitInStatus(r.stdout, unit);
  }
}

/** node-ssh straight to the unit's address, no juju: the login user runs the command line. */
export class DirectTransport implements Transport {
  constructor(private readonly spec: DirectTransportSpec) {}

  async run(unit: string, commandLine: string, opts: RunOptions): Promise<RunResult> {
    mustMatch("unit", unit, PATTERNS.unit, UNIT);
    return exec(this.spec, `ssh to ${unit} at ${this.spec.host}`, commandLine, opts);
  }
}
