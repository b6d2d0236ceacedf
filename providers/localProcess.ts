import { spawn } from "child_process";

// The one way a provider starts a program where Pulumi runs (juju, bash, python3): its own process
// group, ended whole at a deadline of ours (dynamic providers ignore customTimeouts), stdin only when
// the call has a payload.

export interface LocalRun {
  /** The exit status; 1 when killed by a signal it did not choose (our deadline sets timedOut). */
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly timedOut: boolean;
}

export interface LocalOptions {
  /** The payload; without one, stdin is closed. */
  readonly stdin?: Buffer | string;
  readonly timeoutMs: number;
  /** Receives stderr as it arrives, decoded as a stream (a character split across reads stays whole). */
  readonly onStderr: (text: string) => void;
}

/** Runs `file args` to its end or the deadline; rejects only when the program cannot be started. */
export function runLocalProcess(file: string, args: string[], opts: LocalOptions): Promise<LocalRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [opts.stdin !== undefined ? "pipe" : "ignore", "pipe", "pipe"],
      // Its own process group, so the deadline also ends what it started (juju -> ssh, bash -> python).
      detached: true,
    });
    const out: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) killGroup(child.pid);
    }, opts.timeoutMs);
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (t: string) => opts.onStderr(t));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, signal, stdout: Buffer.concat(out).toString("utf8"), timedOut });
    });
    if (opts.stdin !== undefined && child.stdin) {
      // A child that exits without reading its payload closes the pipe; the exit status tells the story.
      child.stdin.on("error", () => undefined);
      child.stdin.end(opts.stdin);
    }
  });
}

/** Kills a detached child and everything it started. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
