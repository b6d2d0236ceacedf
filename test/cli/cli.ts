import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { killGroup } from "../../providers/localProcess";

// Drives the REAL `pulumi` CLI (built by toolchain/build.sh) against a file backend: a project
// directory holding a copy of the real Pulumi.yaml and a test stack file, a passphrase secrets
// provider and a PULUMI_HOME with the plugins registered (toolchain/build.sh).

const ROOT = path.resolve(__dirname, "../../..");
const HOST = path.join(__dirname, "programHost.js");
const NODE = path.join(ROOT, "node_modules/.bin/node");
/** A run that takes longer is stuck: it is killed and fails. Not a timing target. */
const HANG_MS = 480_000;
/**
 * The backend URL's query, as the README has operators log in: `metadata=skip` stops gocloud's
 * fileblob writing a `.attrs` sidecar beside each state file. It rewrites that sidecar in place
 * (truncate, then write), so an engine killed in between leaves it empty and every later command
 * fails with `failed to load checkpoint: EOF`; the state files themselves are written to a
 * temporary file and renamed.
 */
export const BACKEND_QUERY = "?metadata=skip";

export interface CliResult {
  readonly code: number | null;
  /** The signal that ended the CLI, if one did (SIGKILL: the crash tests killed it). */
  readonly signal: NodeJS.Signals | null;
  /** The CLI's pid, which the fake juju records per call (JujuCall.engine). */
  readonly pid: number;
  /** stdout and stderr of the CLI, interleaved as they came. */
  readonly output: string;
  readonly stdout: string;
  readonly ms: number;
}

/** Builds or reuses the CLI and registers the plugins in `home`; returns the CLI's directory. */
export function prepareToolchain(home: string): string {
  const out = execFileSync(path.join(ROOT, "toolchain/build.sh"), [home], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop() ?? "";
}

export class CliStack {
  readonly projectDir: string;
  /** Everything every CLI run printed, for the never-logged-a-secret checks. */
  readonly transcript: string[] = [];
  private readonly env: NodeJS.ProcessEnv;

  private constructor(
    readonly dir: string,
    readonly stack: string,
    binDir: string,
    backendQuery: string,
  ) {
    this.projectDir = path.join(dir, "project");
    const home = path.join(dir, "home");
    this.env = {
      ...process.env,
      PATH: `${binDir}:${process.env.PATH}`,
      PULUMI_HOME: home,
      PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}${backendQuery}`,
      PULUMI_CONFIG_PASSPHRASE: "cli-tier-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      // Only the registered plugins and the bundled dynamic-provider host; nothing from the network.
      PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
  }

  /**
   * A fresh backend, PULUMI_HOME and project; call after Lab.start (it sets the cloud's env).
   * `backendQuery` "" gives the file backend's default, sidecars and all.
   */
  static async create(stack = "cli-test", backendQuery = BACKEND_QUERY): Promise<CliStack> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "graft-cli-"));
    const binDir = prepareToolchain(path.join(dir, "home"));
    const s = new CliStack(dir, stack, binDir, backendQuery);
    fs.mkdirSync(path.join(dir, "state"));
    fs.mkdirSync(s.projectDir);
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(s.projectDir, "Pulumi.yaml"));
    // As in an operator's project: the dynamic-provider host resolves the packages a serialized
    // provider requires (node-ssh) from its working directory, the project's.
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(s.projectDir, "node_modules"));
    const init = await s.run(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    if (init.code !== 0) throw new Error(`pulumi stack init: ${init.output}`);
    return s;
  }

  /** Writes the stack file's config (as a user writes Pulumi.<stack>.yaml), keeping its salt. */
  setConfig(config: Record<string, unknown>): void {
    const file = path.join(this.projectDir, `Pulumi.${this.stack}.yaml`);
    const current = (yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    const values = Object.fromEntries(Object.entries(config).map(([k, v]) => [`magnum-capi-graft:${k}`, v]));
    fs.writeFileSync(file, yaml.dump({ ...current, config: values }));
  }

  /**
   * `pulumi <args>`. Operations that run the program (preview, up, refresh, destroy) get a fresh
   * program host and `--client` its address: the engine then needs no language plugin. `onOutput`
   * receives stdout and stderr as they come, for a caller that shows a long run live.
   */
  async run(args: string[], onOutput?: (text: string) => void): Promise<CliResult> {
    const needsProgram = ["preview", "up", "refresh", "destroy"].includes(args[0]);
    const host = needsProgram ? await startHost(this.projectDir, this.env) : undefined;
    try {
      const client = host ? [`--client=127.0.0.1:${host.port}`] : [];
      const r = await runCli(
        [...args, ...client, "--non-interactive", "--color=never"],
        this.projectDir,
        this.env,
        onOutput,
      );
      this.transcript.push(r.output);
      return r;
    } finally {
      if (host?.child.pid !== undefined) killGroup(host.child.pid);
    }
  }

  /** The file backend's directory: the operator's `~/.pulumi-state`. */
  get stateDir(): string {
    return path.join(this.dir, "state");
  }

  /** `pulumi stack export`, as text. */
  async exportState(): Promise<string> {
    const r = await this.run(["stack", "export", "--stack", this.stack]);
    if (r.code !== 0) throw new Error(`pulumi stack export: ${r.output}`);
    return r.stdout;
  }

  async outputs(): Promise<Record<string, unknown>> {
    const r = await this.run(["stack", "output", "--json", "--stack", this.stack]);
    if (r.code !== 0) throw new Error(`pulumi stack output: ${r.output}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function runCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  onOutput: (text: string) => void = () => undefined,
): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    let stdout = "";
    const seen = (text: string) => ((output += text), onOutput(text));
    child.stdout.on("data", (b: Buffer) => ((stdout += b.toString()), seen(b.toString())));
    child.stderr.on("data", (b: Buffer) => seen(b.toString()));
    const timer = setTimeout(() => child.pid !== undefined && killGroup(child.pid), HANG_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, pid: child.pid ?? 0, output, stdout, ms: Date.now() - started });
    });
  });
}

/** Starts test/cli/programHost.js and waits for the port it prints. */
function startHost(cwd: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [HOST], { cwd, env, stdio: ["ignore", "pipe", "inherit"], detached: true });
    let first = "";
    const onData = (b: Buffer) => {
      first += b.toString();
      const m = /^(\d+)\n/.exec(first);
      if (m) {
        child.stdout.off("data", onData);
        // The program's own console output, after the port.
        child.stdout.on("data", (x: Buffer) => process.stderr.write(x));
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`program host exited ${code} before listening: ${first}`)));
  });
}
