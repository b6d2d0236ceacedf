import * as fs from "fs";
import * as path from "path";

/** What the generated juju knows about its world; it lives next to the executable. */
export interface JujuConfig {
  model: string;
  units: Record<string, { pid: number; address: string; machine: string }>;
  knobsFile: string;
  logFile: string;
  seqDir: string;
}

export interface JujuKnobs {
  exit255OnCall?: number;
  exit255AfterRunOnCall?: number;
  dropStdinOnCall?: number;
  latencyMs?: number;
  hangOnCall?: number;
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
