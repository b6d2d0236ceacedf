import { spawn } from "child_process";
import { killGroup } from "../../../providers/localProcess";

export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface RunOptions {
  stdin?: Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command in its own process group so a timeout can kill everything it started. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { detached: true, env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.stdin ?? Buffer.alloc(0));
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            if (child.pid) killGroup(child.pid);
          }, opts.timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const stderr = Buffer.concat(err);
      resolve({
        code: timedOut ? 124 : (code ?? 128 + signalNumber(signal)),
        stdout: Buffer.concat(out),
        stderr: timedOut
          ? Buffer.concat([stderr, Buffer.from(`timed out after ${opts.timeoutMs} ms\n`)])
          : stderr,
      });
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : 1;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
