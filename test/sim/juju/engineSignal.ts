import * as fs from "fs";
import * as path from "path";
import { claimIndex, EngineSignal, JujuConfig, JujuKnobs } from "./config";

// How the fake juju stands in for the operator's worst hour: it finds the `pulumi` CLI it runs
// under and kills it (with the plugins) or interrupts it at a chosen call. The engine is found by
// walking up /proc from this juju to the test process, so no pid has to be passed down.

interface Proc {
  readonly pid: number;
  readonly pgrp: number;
}

function stat(pid: number): { ppid: number; pgrp: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields follow its last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * This process's ancestors up to the one whose parent is `parent` (the CLI, last), nearest first;
 * undefined when `parent` is not an ancestor (juju run by hand).
 */
export function engineChain(parent: number): Proc[] | undefined {
  const chain: Proc[] = [];
  for (let pid = process.ppid; pid > 1;) {
    const s = stat(pid);
    if (!s) return undefined;
    chain.push({ pid, pgrp: s.pgrp });
    if (s.ppid === parent) return chain;
    pid = s.ppid;
  }
  return undefined;
}

/** Whether this call is the one `signal` names; claims it, so only the first match signals. */
export function isSignalledCall(
  config: JujuConfig,
  signal: EngineSignal,
  unit: string,
  call: { index: number; unitNth: number; command: string },
): boolean {
  if (signal.unit !== undefined && signal.unit !== unit) return false;
  const nth = signal.unit !== undefined ? call.unitNth : call.index;
  if (signal.nth !== undefined && signal.nth !== nth) return false;
  if (signal.command !== undefined && !new RegExp(signal.command).test(call.command)) return false;
  try {
    fs.writeFileSync(path.join(config.unitSeqDir, "signalled"), "", { flag: "wx" });
    return true;
  } catch {
    return false;
  }
}

/** The 1-based number of this call among the calls to `unit` since the knobs were set. */
export function claimUnitCall(config: JujuConfig, unit: string): number {
  const dir = path.join(config.unitSeqDir, unit.replace(/\//g, "-"));
  fs.mkdirSync(dir, { recursive: true });
  return claimIndex(dir);
}

/** SIGKILLs the CLI's process group and every plugin's between it and this juju, the CLI first. */
export function killEngine(knobs: JujuKnobs, chain: Proc[]): void {
  const own = process.pid;
  const spare = new Set([stat(own)?.pgrp, knobs.engineParent && stat(knobs.engineParent)?.pgrp]);
  for (const p of [...chain].reverse()) {
    if (spare.has(p.pgrp)) continue;
    try {
      process.kill(-p.pgrp, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Ctrl-C in the operator's terminal: SIGINT to the foreground process group, the CLI's. */
export function interruptEngine(chain: Proc[]): void {
  const cli = chain[chain.length - 1];
  try {
    process.kill(-cli.pgrp, "SIGINT");
  } catch {
    // Already gone.
  }
}
