import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CliStack } from "../cli/cli";
import { startKubeApiServer } from "../kube/apiserver";
import { Lab } from "../sim/lab";

// `npm run bench:preview`: where a 3-unit `pulumi preview` spends its time under the real CLI. The
// CLI's own start (`pulumi stack ls`, no program), the program's run as the engine drives it (timed
// inside the program host), and what is left for the engine and the providers' check/diff; then how
// long the real Node.js language host takes to load the program in each way it can: type-checking
// TypeScript (ts-node's default), transpiling it only (`noCheck`, what tsconfig.json sets), or
// compiled JavaScript. Timing lives here, never in a test.

const ROOT = path.resolve(__dirname, "../../..");
const UNITS = 3;
const print = (line = "") => process.stdout.write(`${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface HostTiming {
  readonly loadMs: number;
  readonly runMs: number;
}

/** What the program host recorded (GRAFT_HOST_TIMING) for the last run. */
function hostTiming(file: string): HostTiming {
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as HostTiming;
}

/**
 * Loads index.ts (or build/index.js) in a fresh node the way the real language host does: the SDK's
 * vendored ts-node with the project's TypeScript and tsconfig.json. Returns the require's wall time.
 */
function loadMs(mode: "typecheck" | "transpile" | "compiled"): number {
  const entry = mode === "compiled" ? "./build/index.js" : "./index.ts";
  const register =
    mode === "compiled"
      ? ""
      : `require("./node_modules/@pulumi/pulumi/vendor/ts-node@7.0.1").register({
           compiler: require.resolve("typescript"), transpileOnly: ${mode === "transpile"},
           project: "tsconfig.json", skipProject: false, compilerOptions: {} });`;
  const out = execFileSync(
    path.join(ROOT, "node_modules/.bin/node"),
    [
      "-e",
      `${register} const t = Date.now(); require(${JSON.stringify(entry)}); console.log(Date.now() - t);`,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  return Number(out.trim());
}

async function main(): Promise<void> {
  const timing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "graft-preview-")), "host.jsonl");
  process.env.GRAFT_HOST_TIMING = timing;
  const kube = await startKubeApiServer();
  let lab: Lab | undefined;
  let cli: CliStack | undefined;
  try {
    lab = await Lab.start({ units: Array.from({ length: UNITS }, () => ({})), kube });
    cli = await CliStack.create("capi-mgmt");
    cli.setConfig(lab.config());
    const ls = await cli.run(["stack", "ls"]);
    const fresh = await cli.run(["preview"]);
    if (fresh.code !== 0) throw new Error(`pulumi preview: ${fresh.output}`);
    const freshHost = hostTiming(timing);
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    if (up.code !== 0) throw new Error(`pulumi up: ${up.output}`);
    const noop = await cli.run(["preview"]);
    if (noop.code !== 0) throw new Error(`pulumi preview (no-op): ${noop.output}`);
    const noopHost = hostTiming(timing);

    print(`pulumi preview of ${UNITS} units under the real CLI (program host: compiled JavaScript)`);
    print("| preview | wall | CLI start | program load | program run | engine and providers |");
    print("|---|---|---|---|---|---|");
    for (const [name, r, h] of [
      ["fresh stack", fresh, freshHost],
      ["after up (no-op)", noop, noopHost],
    ] as const) {
      const rest = r.ms - ls.ms - h.loadMs - h.runMs;
      print(
        `| ${name} | ${secs(r.ms)} | ${secs(ls.ms)} | ${secs(h.loadMs)} | ${secs(h.runMs)} | ${secs(rest)} |`,
      );
    }
    print();
    print("Loading the program in the real Node.js language host (a fresh node, as on every run):");
    print("| how | load |");
    print("|---|---|");
    // What `pulumi up` does with this checkout: the SDK reads noCheck from tsconfig.json (cmd/run/run.js).
    const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as {
      loadTypeScriptCompilerOptions(p: string): { noCheck?: boolean };
    };
    const now = loadTypeScriptCompilerOptions(path.join(ROOT, "tsconfig.json")).noCheck
      ? "transpile"
      : "typecheck";
    for (const mode of ["typecheck", "transpile", "compiled"] as const) {
      print(`| ${mode}${mode === now ? " (pulumi up from this checkout)" : ""} | ${secs(loadMs(mode))} |`);
    }
  } finally {
    cli?.remove();
    await lab?.stop();
    await kube.stop();
    fs.rmSync(path.dirname(timing), { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
