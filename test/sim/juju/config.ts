import * as fs from "fs";
import * as path from "path";

/** What the generated juju knows about its world; it lives next to the executable. */
export interface JujuConfig {
  model: string;
  units: Record<string, { pid: number; address: string; machine: string }>;
  knobsFile: string;
  logFile: string;
  seqDir: string;
  /** Per-unit call counters (one directory per unit), for knobs that name a unit's Nth call. */
  unitSeqDir: string;
}

export interface JujuKnobs {
  exit255OnCall?: number;
  exit255AfterRunOnCall?: number;
  dropStdinOnCall?: number;
  latencyMs?: number;
  hangOnCall?: number;
  /**
   * The test process: a call records the `pulumi` CLI it runs under (the ancestor whose parent this
   * is) as JujuCall.engine, and signalEngine may signal it.
   */
  engineParent?: number;
  /** Signals the engine at a call; see EngineSignal. Needs engineParent. */
  signalEngine?: EngineSignal;
}

/**
 * Which call signals the engine, when, and how. A call matches when it goes to `unit` (any unit
 * when absent) and is its `nth` call since the knobs were set (1-based, counted per unit when `unit`
 * is given, else over all units) and, when `command` is given, its command line matches it; only the
 * first match signals.
 * - `kill`: once the call has run on the unit, before its caller learns the result, SIGKILL the
 *   CLI's process group and every process group below it (each plugin the engine started is one, so
 *   is each juju in flight). The engine dies not knowing.
 * - `interrupt`: when the call starts, SIGINT to the CLI's process group only, as Ctrl-C in the
 *   operator's terminal does (the plugins are not in the terminal's foreground group).
 */
export interface EngineSignal {
  readonly how: "kill" | "interrupt";
  readonly unit?: string;
  readonly nth?: number;
  /** A regular expression (JavaScript source) the call's command line must match. */
  readonly command?: string;
}

export interface JujuCall {
  index: number;
  argv: string[];
  unit?: string;
  command?: string;
  stdinBytes: number;
  exit: number;
  start: number;
  end: number;
  /** The pid of the `pulumi` CLI the call ran under, when the knobs name engineParent. */
  engine?: number;
  /** This call signalled the engine (EngineSignal.how). */
  signalled?: "kill" | "interrupt";
}

export const CONFIG_NAME = "juju-sim.json";

export function readConfig(binDir: string): JujuConfig {
  return JSON.parse(fs.readFileSync(path.join(binDir, CONFIG_NAME), "utf8")) as JujuConfig;
}

export function readKnobs(file: string): JujuKnobs {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as JujuKnobs;
  } catch {
    return {};
  }
}

/** Claims the next ssh-call index; exclusive file creation keeps concurrent jujus from sharing one. */
export function claimIndex(seqDir: string): number {
  for (let n = fs.readdirSync(seqDir).length + 1; ; n++) {
    try {
      fs.writeFileSync(path.join(seqDir, String(n)), "", { flag: "wx" });
      return n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

/** A command-line mistake: juju reports these with exit status 2. */
export class UsageError extends Error {}
