import { spawn } from "child_process";
import * as fs from "fs";
import { unitCommand } from "../unit/simUnit";
import { claimIndex, JujuCall, JujuConfig, readConfig, readKnobs, UsageError } from "./config";
import { claimUnitCall, engineOf, interruptEngine, isSignalledCall, killEngine } from "./engineSignal";
import { statusJson } from "./status";

interface SshArgs {
  model?: string;
  pty: boolean;
  target: string;
  command: string;
}

function parseSsh(args: string[]): SshArgs {
  let model: string | undefined;
  let pty = false;
  let i = 0;
  for (; i < args.length && args[i].startsWith("-"); i++) {
    const a = args[i];
    if (a === "-m" || a === "--model") {
      if (i + 1 >= args.length) throw new UsageError(`option needs an argument: ${a}`);
      model = args[++i];
    } else if (a.startsWith("--model=")) model = a.slice("--model=".length);
    else if (a.startsWith("-m")) model = a.slice(2);
    else if (a === "--pty" || a === "--pty=true") pty = true;
    else if (a === "--pty=false") pty = false;
    else if (a === "--no-host-key-checks") continue;
    else throw new UsageError(`option provided but not defined: ${a.replace(/=.*/, "")}`);
  }
  if (i >= args.length) throw new UsageError("no target name specified");
  // ssh joins the remaining words with spaces; the remote login shell re-splits them.
  return { model, pty, target: args[i], command: args.slice(i + 1).join(" ") };
}

function checkModel(config: JujuConfig, model: string | undefined): void {
  if (model === undefined) return;
  const name = model.replace(/^[^:]*:/, "").replace(/^[^/]*\//, "");
  if (name !== config.model) throw new Error(`model "${model}" not found`);
}

function log(config: JujuConfig, call: JujuCall): void {
  fs.appendFileSync(config.logFile, `${JSON.stringify(call)}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ssh(config: JujuConfig, argv: string[], start: number): Promise<number> {
  const parsed = parseSsh(argv.slice(1));
  checkModel(config, parsed.model);
  const unitName = Object.keys(config.units).find(
    (u) => u === parsed.target || config.units[u].machine === parsed.target,
  );
  if (!unitName) throw new Error(`unit "${parsed.target}" not found`);
  const unit = config.units[unitName];
  const index = claimIndex(config.seqDir);
  const unitNth = claimUnitCall(config, unitName);
  const knobs = readKnobs(config.knobsFile);
  const cli = knobs.engineParent === undefined ? undefined : engineOf(knobs.engineParent);
  const call: JujuCall = {
    index,
    argv,
    unit: unitName,
    command: parsed.command,
    stdinBytes: 0,
    exit: 0,
    start,
    end: 0,
    ...(cli ? { engine: cli.pid } : {}),
  };
  const signal =
    knobs.signalEngine &&
    cli &&
    isSignalledCall(config, knobs.signalEngine, unitName, { index, unitNth, command: parsed.command })
      ? knobs.signalEngine.how
      : undefined;
  if (signal) call.signalled = signal;
  if (signal === "interrupt" && cli) interruptEngine(cli);
  const finish = (exit: number): number => {
    log(config, { ...call, exit, end: Date.now() });
    if (signal === "kill" && cli) killEngine(cli);
    return exit;
  };
  if (knobs.hangOnCall === index) {
    process.on("SIGTERM", () => process.exit(finish(143)));
    // A pending promise alone would let node exit; a timer keeps the process hung.
    setInterval(() => undefined, 60000);
    await new Promise(() => undefined);
  }
  if (knobs.exit255OnCall === index) {
    process.stderr.write(
      `ERROR ssh: connect to host ${unit.address} port 22: Connection refused (connection failed)\n`,
    );
    return finish(255);
  }
  const remote = parsed.command === "" ? "exec bash" : parsed.command;
  // pdeathsig: if this juju is SIGKILLed, nsenter and the remote shell die with it.
  const child = spawn(
    "setpriv",
    ["--pdeathsig", "KILL", "nsenter", ...unitCommand(unit.pid, "ubuntu", remote)],
    {
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const killRemote = () => {
    try {
      process.kill(-(child.pid ?? 0), "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.on(sig, () => {
      killRemote();
      process.exit(finish(sig === "SIGINT" ? 130 : 143));
    });
  }
  child.stdin.on("error", () => undefined);
  if (knobs.dropStdinOnCall === index) {
    child.stdin.end();
  } else {
    process.stdin.on("data", (b: Buffer) => {
      call.stdinBytes += b.length;
      child.stdin.write(b);
    });
    process.stdin.on("end", () => child.stdin.end());
    process.stdin.on("error", () => child.stdin.end());
  }
  const discard = knobs.exit255AfterRunOnCall === index;
  const emit = (b: Buffer, toErr: boolean) => {
    if (discard) return;
    if (parsed.pty)
      process.stdout.write(Buffer.from(b.toString("binary").replace(/\r?\n/g, "\r\n"), "binary"));
    else (toErr ? process.stderr : process.stdout).write(b);
  };
  child.stdout.on("data", (b: Buffer) => emit(b, false));
  child.stderr.on("data", (b: Buffer) => emit(b, true));
  const code = await new Promise<number>((resolve) =>
    child.on("close", (c, sig) => resolve(c ?? (sig === "SIGKILL" ? 137 : 255))),
  );
  process.stdin.pause();
  if (discard) {
    process.stderr.write(
      `Connection to ${unit.address} closed by remote host.\nERROR connection lost: exit status 255\n`,
    );
    return finish(255);
  }
  return finish(code);
}

async function dispatch(config: JujuConfig, argv: string[], start: number): Promise<number> {
  switch (argv[0]) {
    case "ssh":
      return ssh(config, argv, start);
    case "status": {
      const out = statusJson(config, argv.slice(1), checkModel);
      process.stdout.write(`${JSON.stringify(out)}\n`);
      log(config, { index: 0, argv, stdinBytes: 0, exit: 0, start, end: Date.now() });
      return 0;
    }
    case undefined:
      throw new UsageError("no command specified");
    default:
      throw new UsageError(`juju: "${argv[0]}" is not a juju command. See "juju --help".`);
  }
}

/** Entry point of the generated executable; binDir holds its config. */
export async function main(binDir: string): Promise<void> {
  const start = Date.now();
  const config = readConfig(binDir);
  const argv = process.argv.slice(2);
  const latency = readKnobs(config.knobsFile).latencyMs ?? 0;
  if (latency > 0) await sleep(latency);
  let code: number;
  try {
    code = await dispatch(config, argv, start);
  } catch (e) {
    process.stderr.write(`ERROR ${(e as Error).message}\n`);
    code = e instanceof UsageError ? 2 : 1;
    log(config, { index: 0, argv, stdinBytes: 0, exit: code, start, end: Date.now() });
  }
  // Flush before exiting: a pending stdin read must not keep juju alive.
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
