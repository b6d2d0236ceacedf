// The seam every remote command goes through: juju, jumphost and direct implement it, so providers
// never learn how a unit is reached.

export interface RunOptions {
  /** Payload for the remote command's stdin; without it stdin is closed so nothing eats the caller's pipe. */
  readonly stdin?: Buffer;
  readonly timeoutMs: number;
  /** Receives the lines the remote script reports as progress, as they arrive. */
  readonly onProgress?: (line: string) => void;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface UnitInfo {
  readonly address: string;
}

export interface Transport {
  /** Runs one command line on the unit, as the unit's login user; resolves with its exit status. */
  run(unit: string, commandLine: string, opts: RunOptions): Promise<RunResult>;
  /**
   * What the controller knows of the unit; undefined when the model has no such unit. Absent where
   * juju cannot be asked (`direct`): the unit is then checked inside the step's script (gates/unitAgent).
   */
  describeUnit?(unit: string, timeoutMs: number): Promise<UnitInfo | undefined>;
}

/** Lines a remote script writes to stderr with this prefix are progress, not diagnostics. */
export const PROGRESS_PREFIX = "@@progress ";

/** The last lines of a command's diagnostics, on one line, for an error message. */
export function tail(text: string, lines = 5): string {
  const t = text.trim().split("\n").slice(-lines).join(" | ");
  return t === "" ? "(no output)" : t;
}

/** Collects stderr as it arrives, passing progress lines on; a line split across reads stays whole. */
export class StderrLines {
  // Assigned in the constructor, not as field initializers: Pulumi's closure serialization of a
  // dynamic provider keeps a class's constructor and methods but drops its field initializers.
  private kept: string;
  private pending: string;

  constructor(private readonly opts: RunOptions) {
    this.kept = "";
    this.pending = "";
  }

  push(text: string): void {
    this.pending += text;
    const lines = this.pending.split("\n");
    this.pending = lines.pop() ?? "";
    for (const line of lines) this.keep(line);
  }

  end(): string {
    if (this.pending) this.keep(this.pending);
    this.pending = "";
    return this.kept;
  }

  private keep(line: string): void {
    if (line.startsWith(PROGRESS_PREFIX)) this.opts.onProgress?.(line.slice(PROGRESS_PREFIX.length));
    else this.kept += `${line}\n`;
  }
}
