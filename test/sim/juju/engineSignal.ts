import * as fs from "fs";
import * as path from "path";
import { claimIndex, EngineSignal, JujuConfig } from "./config";

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

/** The ancestor of this juju whose parent is `parent` (the CLI); undefined when there is none. */
export function engineOf(parent: number): Proc | undefined {
  for (let pid = process.ppid; pid > 1;) {
    const s = stat(pid);
    if (!s) return undefined;
    if (s.ppid === parent) return { pid, pgrp: s.pgrp };
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

/** Every process below `root`, from /proc. */
function descendants(root: number): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const name of fs.readdirSync("/proc")) {
    const pid = Number(name);
    const s = Number.isInteger(pid) ? stat(pid) : undefined;
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), { pid, pgrp: s.pgrp }]);
  }
  const out: Proc[] = [];
  for (let todo = [root]; todo.length > 0;) {
    const next = children.get(todo.pop() as number) ?? [];
    out.push(...next);
    todo.push(...next.map((p) => p.pid));
  }
  return out;
}

/**
 * SIGKILLs the CLI's process group, then every process group below it: each plugin the engine
 * started is a group of its own, and so is each juju a provider runs (the other units' calls in
 * flight die with theirs, cut off mid-script as by a dropped connection). Not this juju's own group.
 */
export function killEngine(cli: Proc): void {
  const own = stat(process.pid)?.pgrp;
  const groups = new Set([cli.pgrp, ...descendants(cli.pid).map((p) => p.pgrp)]);
  groups.delete(own as number);
  for (const g of groups) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Ctrl-C in the operator's terminal: SIGINT to the foreground process group, the CLI's. */
export function interruptEngine(cli: Proc): void {
  try {
    process.kill(-cli.pgrp, "SIGINT");
  } catch {
    // Already gone.
  }
}
