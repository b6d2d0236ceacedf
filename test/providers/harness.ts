// The provider-test harness: a transport that records every call and answers from a function,
// helpers that run the real command line through bash to get at the script it carries, and the
// check/diff tables the kernel's contract suite (kernel.test.ts) runs for every spec.
import assert from "assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { JujuTransportSpec } from "../../core/transportSpec";
import { connectionError, isGateError } from "../../providers/errors";
import { Connect } from "../../providers/remote";
import { RunOptions, RunResult, Transport, UnitInfo } from "../../providers/transport/transport";

export const JUJU: JujuTransportSpec = { kind: "juju", model: "openstack" };
export const UNIT = "magnum/0";
/** What the engine sends for a value that is not known yet. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Must survive as one literal value wherever it goes; `$(x)` would run x if it were unquoted. */
export const NASTY = `it's "quoted" $(x) \`y\` \\ $HOME`;

export interface Call {
  readonly unit: string;
  readonly commandLine: string;
  readonly opts: RunOptions;
}

export type Reply = (call: Call) => RunResult | Promise<RunResult>;

export class FakeTransport implements Transport {
  readonly calls: Call[] = [];
  readonly described: string[] = [];

  constructor(
    private readonly reply: Reply,
    private readonly units: Record<string, UnitInfo> = {},
  ) {}

  async run(unit: string, commandLine: string, opts: RunOptions): Promise<RunResult> {
    const call = { unit, commandLine, opts };
    this.calls.push(call);
    return this.reply(call);
  }

  async describeUnit(unit: string): Promise<UnitInfo | undefined> {
    this.described.push(unit);
    return this.units[unit];
  }

  readonly connect: Connect = (spec) => {
    assert.deepEqual(spec, JUJU);
    return this;
  };
}

/** For operations that must do no I/O at all. */
export const noIo: Connect = () => {
  throw new Error("this operation must not open a transport");
};

/** A successful run reporting `results` as `key=value` lines. */
export function ok(results: Record<string, string>): RunResult {
  const stdout = Object.entries(results)
    .map(([k, v]) => `${k}=${v}\n`)
    .join("");
  return { code: 0, stdout, stderr: "" };
}

export function gateFailed(expected: string, seen: string): RunResult {
  return { code: 3, stdout: `changed=0\nfail.expected=${expected}\nfail.seen=${seen}\n`, stderr: "" };
}

/** Checks the one shape every call has and returns the bash script it carries, as bash would see it. */
export function scriptOf(call: Call): string {
  assert.ok(call.commandLine.startsWith("sudo -n -- bash -c '"), call.commandLine.slice(0, 40));
  const dir = mkdtempSync(join(tmpdir(), "graft-sudo-"));
  try {
    const shim = join(dir, "sudo");
    writeFileSync(shim, `#!/bin/bash\nprintf '%s\\0' "$@" > "$SUDO_ARGV"\n`);
    chmodSync(shim, 0o755);
    const argvFile = join(dir, "argv");
    const r = spawnSync("bash", ["-c", call.commandLine], {
      env: { PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`, SUDO_ARGV: argvFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    assert.equal(r.status, 0, r.stderr.toString());
    const argv = readFileSync(argvFile, "utf8").split("\0").slice(0, -1);
    assert.deepEqual(argv.slice(0, 4), ["-n", "--", "bash", "-c"]);
    assert.equal(argv.length, 5);
    return argv[4];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * bash reads ~/.bashrc when its stdin is a socket (it takes that for sshd), and node's pipes are
 * socketpairs; a shell level above 1 turns that off.
 */
const QUIET_BASH = { PATH: "/usr/bin:/bin", SHLVL: "1" };

/** bash's own verdict on whether the script parses; "" when it does. */
export function parseErrors(script: string): string {
  const r = spawnSync("bash", ["-n"], { input: script, env: QUIET_BASH });
  return r.status === 0 ? "" : r.stderr.toString() || `bash -n exited ${r.status}`;
}

/**
 * Runs the script up to (not including) the first line starting with `stopAt`, then prints
 * `$var`: what the value of the variable really is once bash has read the quoting.
 */
export function valueOf(script: string, stopAt: string, variable: string): string {
  const cut = script.indexOf(`\n${stopAt}`);
  assert.ok(cut > 0, `no line starting with ${stopAt}`);
  const r = spawnSync("bash", ["-c", `${script.slice(0, cut)}\nprintf '%s' "$${variable}"`], {
    env: QUIET_BASH,
  });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString();
}

/**
 * Runs a whole provider script here, as the unit would, with its state kept under `stateDir` and
 * `binDir` (fake commands) first on PATH.
 */
export function runLocally(script: string, stateDir: string, stdin?: Buffer, binDir = stateDir): RunResult {
  const moved = script.replace(/^STATE_DIR=.*$/m, `STATE_DIR=${stateDir}`);
  assert.notEqual(moved, script);
  const env = { ...QUIET_BASH, PATH: `${binDir}:${QUIET_BASH.PATH}` };
  const r = spawnSync("bash", ["-c", moved], { input: stdin ?? "", env });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Captures console.log lines while `fn` runs; always puts console.log back. */
async function logsOf(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines;
}

/** A reply that reports one progress line before answering. */
function withProgress(result: RunResult): Reply {
  return (call) => {
    call.opts.onProgress?.("x");
    return result;
  };
}

/**
 * The ways one provider operation can fail on the unit, each a mocha test: a failed gate, another
 * exit, a dropped connection, a result the script did not report; and its progress lines.
 */
export function itReportsFailuresOf(
  step: string,
  op: (t: FakeTransport) => Promise<unknown>,
  missingKey: string | undefined,
): void {
  const where = `${step} on ${UNIT}: `;

  it("turns exit 3 into a GateError naming step, unit, expectation and the way back", async () => {
    await assert.rejects(op(new FakeTransport(() => gateFailed("one thing", "another"))), (e: Error) => {
      assert.ok(isGateError(e), String(e));
      assert.equal(e.message.slice(0, where.length), where);
      assert.match(e.message, /expected one thing; saw another\. .*`pulumi up`.*`pulumi destroy`/);
      return true;
    });
  });

  it("reports the tail of stderr for any other exit", async () => {
    const t = new FakeTransport(() => ({ code: 2, stdout: "", stderr: "a\nb\nc\nd\ne\nf\nthe cause\n" }));
    await assert.rejects(op(t), (e: Error) => {
      assert.ok(!isGateError(e));
      assert.equal(e.message.slice(0, where.length), where);
      assert.match(e.message, /remote script exited 2: c \| d \| e \| f \| the cause\./);
      return true;
    });
  });

  it("names the unit when the connection fails", async () => {
    const t = new FakeTransport(() => {
      throw connectionError("juju ssh failed with exit 255");
    });
    await assert.rejects(op(t), (e: Error) => {
      assert.equal(e.message.slice(0, where.length), where);
      assert.match(e.message, /juju ssh failed with exit 255/);
      return true;
    });
  });

  if (missingKey) {
    it(`fails when the script reports no ${missingKey}`, async () => {
      await assert.rejects(op(new FakeTransport(() => ok({}))), new RegExp(`reported no ${missingKey}$`));
    });
  }

  it("logs progress lines with the unit and the step", async () => {
    const lines = await logsOf(() =>
      op(new FakeTransport(withProgress(gateFailed("a", "b")))).catch(() => 0),
    );
    assert.deepEqual(lines, [`[${UNIT}] ${step}: x`]);
  });
}

/** A fresh directory for each test of the enclosing describe, removed after it. */
export function tempDirPerTest(): () => string {
  let dir = "";
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "graft-test-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/**
 * The destroyMode and recorded `hasOriginal` under which a file's or helm's delete restores: any
 * remove, and a rollback unless the graft is known to have added the path (absent: state written
 * before it was recorded).
 */
export const RESTORING_DELETES = [
  ["rollback", "1"],
  ["rollback", undefined],
  ["remove", "0"],
  ["remove", "1"],
] as const;

/** The calls a delete makes. */
async function deleteCalls<O>(
  provider: (connect: Connect) => { delete(id: string, props: O): Promise<void> },
  props: O,
): Promise<Call[]> {
  const t = new FakeTransport(() => ok({}));
  await provider(t.connect).delete("id", props);
  return t.calls;
}

/** How many calls a delete makes. */
export async function deleteCallCount<O>(
  provider: (connect: Connect) => { delete(id: string, props: O): Promise<void> },
  props: O,
): Promise<number> {
  return (await deleteCalls(provider, props)).length;
}

/** The script a delete sends, checking it is the only call and carries no stdin. */
export async function deleteScriptOf<O>(
  provider: (connect: Connect) => { delete(id: string, props: O): Promise<void> },
  props: O,
): Promise<string> {
  const calls = await deleteCalls(provider, props);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].opts.stdin, undefined);
  return scriptOf(calls[0]);
}

// The check/diff tables: one row per input value, one test per row.

interface CheckDiff<I, O> {
  check(olds: I, news: I): Promise<pulumi.dynamic.CheckResult>;
  diff(id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult>;
}

type Rows = ReadonlyArray<readonly [string, unknown]>;

/** check() refuses each value with one failure that names its key, and passes no inputs on. */
export function itRejects<I extends object, O>(p: CheckDiff<I, O>, inputs: I, rows: Rows): void {
  for (const [key, value] of rows) {
    it(`reports ${key}=${JSON.stringify(value)} as a failure`, async () => {
      const r = await p.check(inputs, { ...inputs, [key]: value });
      assert.equal(r.inputs, undefined);
      assert.equal(r.failures?.length, 1);
      assert.match(r.failures?.[0].reason ?? "", new RegExp(key));
    });
  }
}

/** diff() sees a change it makes in place. */
export function itUpdatesInPlace<I extends object, O>(
  p: CheckDiff<I, O>,
  olds: O,
  inputs: I,
  rows: Rows,
): void {
  for (const [key, value] of rows) {
    it(`changes in place for ${key}=${JSON.stringify(value)}`, async () => {
      const d = await p.diff("id", olds, { ...inputs, [key]: value });
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, []);
    });
  }
}

/** diff() replaces the resource, naming the key that forces it. */
export function itReplaces<I extends object, O>(p: CheckDiff<I, O>, olds: O, inputs: I, rows: Rows): void {
  for (const [key, value] of rows) {
    it(`replaces for ${key}=${JSON.stringify(value)}`, async () => {
      const d = await p.diff("id", olds, { ...inputs, [key]: value });
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, [key]);
    });
  }
}
