import { shq } from "../core/shell";
import { TransportSpec } from "../core/transportSpec";
import { gateError, WAY_BACK } from "./errors";
import { PRELUDE } from "./prelude";
import { openTransport } from "./transport";
import { tail, Transport } from "./transport/transport";

export type Connect = (spec: TransportSpec) => Transport;

/** Where a provider's script runs; part of every remote resource's inputs. */
export interface Target {
  readonly transport: TransportSpec;
  readonly unit: string;
}

export interface ScriptOptions {
  /** The payload of this call only; every other call runs with stdin closed. */
  readonly stdin?: Buffer;
  readonly timeoutSeconds: number;
}

export const defaultConnect: Connect = openTransport;

/**
 * Runs one provider script on the unit, in one round trip, as root, and returns its `key=value`
 * results. Exit 3 is a failed gate; any other failure is reported with the tail of stderr.
 */
export async function runScript(
  connect: Connect,
  target: Target,
  step: string,
  body: string,
  opts: ScriptOptions,
): Promise<Record<string, string>> {
  const script = `${PRELUDE}\n${body}\n`;
  const transport = connect(target.transport);
  let r;
  try {
    r = await transport.run(target.unit, `sudo -n -- bash -c ${shq(script)}`, {
      stdin: opts.stdin,
      timeoutMs: opts.timeoutSeconds * 1000,
      onProgress: (line) => console.log(`[${target.unit}] ${step}: ${line}`),
    });
  } catch (e) {
    throw new Error(`${step} on ${target.unit}: ${(e as Error).message}. ${WAY_BACK}`);
  }
  const results = parseResults(r.stdout);
  if (r.code === 3) {
    // A gate that runs inside the script of the step it guards names itself.
    throw gateError(
      `${results["fail.step"] || step} on ${target.unit}: expected ${results["fail.expected"] ?? "?"}; saw ${results["fail.seen"] ?? "?"}. ${WAY_BACK}`,
    );
  }
  if (r.code !== 0) {
    throw new Error(
      `${step} on ${target.unit}: remote script exited ${r.code}: ${tail(r.stderr)}. ${WAY_BACK}`,
    );
  }
  return results;
}

export function parseResults(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([a-zA-Z][a-zA-Z0-9_.]*)=(.*)$/.exec(line.replace(/\r$/, ""));
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** Looks up a result the script must have emitted. */
export function need(results: Record<string, string>, key: string, step: string, unit: string): string {
  const v = results[key];
  if (v === undefined) throw new Error(`${step} on ${unit}: the remote script reported no ${key}`);
  return v;
}
