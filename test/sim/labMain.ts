import { runtime } from "@pulumi/pulumi";
import * as fs from "fs";
import { CliStack } from "../cli/cli";
import { startKubeApiServer } from "../kube/apiserver";
import { hasRule } from "./gates";
import { Lab } from "./lab";
import { SimUnit } from "./unit/simUnit";

// `npm run lab`: the REAL `pulumi` CLI runs the graft's preview, up, no-op up and rollback destroy
// against a SIMULATED conductor, so a newcomer sees what an operator sees. The CLI's own output is
// streamed indented under the heading of the step that runs it; after each step the lab adds what
// the CLI cannot show: the wall time, the juju calls, and what the gates saw on the unit.

const SITE_DEFAULT = "# site tuning that was here before the graft\nexport OS_DEBUG=0\n";
// What the graft writes or edits on a unit; the rollback must leave the first two as they were.
const UNIT_FILES = [
  "/etc/default/magnum-conductor",
  "/etc/magnum/magnum.conf",
  "/etc/magnum/kubeconfig",
  "/etc/magnum/magnum.conf.d/00-capi-helm.conf",
];
const INDENT = "   ";

const short = (hex: string) => `${hex.slice(0, 12)}...`;
const print = (line = "") => process.stdout.write(`${line}\n`);

class StepFailed extends Error {}

interface StateResource {
  readonly urn: string;
  readonly id?: string;
  readonly external?: boolean;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ").filter((w) => w !== "")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + word.length < width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** Writes streamed text indented: INDENT at the start of every non-empty line, as it comes. */
function indented(): { write(text: string): void; end(): void } {
  let atLineStart = true;
  return {
    write(text) {
      if (text === "") return;
      const lead = atLineStart && !text.startsWith("\n") ? INDENT : "";
      process.stdout.write(lead + text.replace(/\n(?=[^\n])/g, `\n${INDENT}`));
      atLineStart = text.endsWith("\n");
    },
    end() {
      if (!atLineStart) process.stdout.write("\n");
      atLineStart = true;
    },
  };
}

/** Runs `pulumi <args>` under its heading, its output streamed beneath; throws if it fails. */
async function step(lab: Lab, cli: CliStack, title: string, what: string, args: string[]): Promise<void> {
  print(`\n== ${title}: ${what}`);
  print(`${INDENT}$ pulumi ${args.join(" ")}`);
  const callsBefore = (await lab.juju.calls()).length;
  const started = Date.now();
  const out = indented();
  const r = await cli.run(args, (text) => out.write(text));
  out.end();
  const calls = (await lab.juju.calls()).slice(callsBefore);
  const ssh = calls.filter((c) => c.index > 0).length;
  print(
    `${INDENT}-> ${((Date.now() - started) / 1000).toFixed(1)} s; exit ${r.code}; juju calls: ${calls.length} (${ssh} juju ssh to a unit)`,
  );
  if (r.code !== 0) throw new StepFailed(`pulumi ${args.join(" ")} exited ${r.code}; its output is above`);
}

/** What each gate of a unit saw, from `pulumi stack export` and `stack output`, secrets left out. */
async function printGates(lab: Lab, cli: CliStack, u: SimUnit): Promise<void> {
  const p = u.spec.unit.replace("/", "-");
  const state = JSON.parse(await cli.exportState()) as { deployment: { resources: StateResource[] } };
  const find = (name: string) => state.deployment.resources.find((r) => r.urn.endsWith(`::${p}-${name}`));
  const out = (name: string, key: string) => {
    const v = find(name)?.outputs?.[key];
    // A secure value of `pulumi stack export`: never printed.
    if (typeof v === "object" && v !== null && runtime.specialSigKey in v) return "[secret]";
    return v === undefined ? "?" : String(v);
  };
  const rule = find("access-rule");
  const onUnit = await u.readFile("/etc/magnum/kubeconfig");
  const kubeconfigSame = onUnit?.equals(fs.readFileSync(lab.kubeconfigPath)) ?? false;
  const gates: [string, string][] = [
    ["before the rule", out("preflight-gates", "gatesSeen")],
    [
      "security group rule",
      `${String(rule?.inputs?.remoteIpPrefix)} tcp/${String(rule?.inputs?.portRangeMin)}: ` +
        (rule?.external ? "an identical rule existed, referenced" : `created (id ${rule?.id})`),
    ],
    ["before the kubeconfig", out("access-kubeconfig", "gatesSeen")],
    [
      "kubeconfig",
      `${kubeconfigSame ? "byte-exact" : "DIFFERENT"} on the unit and locally (content and sha256 are ` +
        `secrets: compared, not shown); mode ${out("access-kubeconfig", "liveMode")}, ` +
        `owner ${out("access-kubeconfig", "liveOwner")}`,
    ],
    [
      "helm",
      `${out("access-helm", "liveVersion")}; a download must match helmTarballSha256 ${short(out("access-helm", "tarballSha256"))}`,
    ],
    ["before the driver", out("install-driver", "gatesSeen")],
    [
      "driver",
      `magnum-capi-helm ${out("install-driver", "installedVersion")}, entry points: ${out("install-driver", "entryPoints")}`,
    ],
    [
      "drop-in",
      `sha256 ${short(out("config-drop-in", "sha256"))}, ASCII only, mode ${out("config-drop-in", "liveMode")}`,
    ],
    [
      "show-args",
      `${out("config-daemon-args", "showArgsOk") === "1" ? "holds" : "FAILS"}: ${out("config-daemon-args", "showArgs")}`,
    ],
    [
      "restart",
      `healthy=${out("service-restart", "healthy")}, MainPID ${out("service-restart", "pid")}, ` +
        `--config-dir live=${out("service-restart", "configDirLive")}, drivers: ${out("service-restart", "drivers")}`,
    ],
  ];
  print(`${INDENT}gates on ${u.spec.unit} (what each saw, from \`pulumi stack export\`):`);
  for (const [name, seen] of gates) {
    wrap(seen, 96).forEach((line, i) => print(`${INDENT}  ${(i === 0 ? name : "").padEnd(22)}${line}`));
  }
  const conductors = (await cli.outputs()).conductors as Record<string, Record<string, unknown>>;
  const c = conductors[u.spec.unit];
  const seen = ["preflight-gates", "access-kubeconfig", "install-driver"].map((r) => out(r, "gatesSeen"));
  print(
    `${INDENT}\`pulumi stack output --json\`, conductors["${u.spec.unit}"]: driverVersion ${String(c.driverVersion)}, ` +
      `drivers ${String(c.drivers)}, configDirLive ${String(c.configDirLive)}, owesRestart ${String(c.owesRestart)}, ` +
      (c.gates === seen.join("; ")
        ? "gates: the three rows `before ...` above, joined"
        : `gates: ${String(c.gates)}`),
  );
}

async function unitFiles(u: SimUnit): Promise<Map<string, Buffer | undefined>> {
  const files = new Map<string, Buffer | undefined>();
  for (const f of UNIT_FILES) files.set(f, await u.readFile(f));
  return files;
}

/** Compares the unit's files after the rollback with the same files before the graft. */
function printRestore(
  before: Map<string, Buffer | undefined>,
  after: Map<string, Buffer | undefined>,
): boolean {
  let ok = true;
  print(`${INDENT}files on the unit, before the graft -> after the rollback:`);
  for (const [f, was] of before) {
    const now = after.get(f);
    let verdict: string;
    if (was === undefined) {
      verdict = now ? "kept (did not exist before; the 1.3.0 holding state reads it)" : "absent, as before";
    } else if (now && now.equals(was)) {
      verdict = "byte-exact as before the graft";
    } else {
      verdict = `DIFFERS from before the graft`;
      ok = false;
    }
    print(`${INDENT}  ${f.padEnd(44)} ${verdict}`);
  }
  return ok;
}

async function runSteps(lab: Lab, cli: CliStack): Promise<void> {
  const u = lab.units[0];
  const before = await unitFiles(u);
  await step(lab, cli, "1/4 preview", "what `up` would do; nothing may run on the unit", ["preview"]);
  await step(lab, cli, "2/4 up", "every step, each gate checked before the next", ["up", "--yes"]);
  await printGates(lab, cli, u);
  const drivers = await u.sh("magnum-driver-manage list-drivers", { user: "root" });
  print(
    `${INDENT}magnum-driver-manage list-drivers on ${u.spec.unit} (the drivers the restarted conductor loads):`,
  );
  for (const line of drivers.stdout.trim().split("\n")) print(`${INDENT}  ${line}`);
  const pidBefore = await u.daemonPid();
  await step(lab, cli, "3/4 up again", "a second up must change nothing and call no unit", ["up", "--yes"]);
  const pidAfter = await u.daemonPid();
  print(
    `${INDENT}conductor MainPID ${pidBefore} -> ${pidAfter} (${pidBefore === pidAfter ? "not restarted" : "RESTARTED"})`,
  );
  await step(lab, cli, "4/4 destroy", "destroyMode=rollback: pin back 1.3.0, restore files, restart", [
    "destroy",
    "--yes",
  ]);
  const version = await u.sh("python3 -m pip show magnum-capi-helm | sed -n 's/^Version: //p'", {
    user: "root",
  });
  const active = await u.sh("systemctl is-active magnum-conductor", { user: "root" });
  print(
    `${INDENT}driver after rollback: magnum-capi-helm ${version.stdout.trim()}; conductor ${active.stdout.trim()}`,
  );
  const cidr = `${u.spec.address}/32`;
  print(
    `${INDENT}security group rule ${cidr}: ${(await hasRule(lab, cidr)) ? "kept in Neutron (a rollback keeps it; Pulumi only drops it from state: delete[retain])" : "GONE from Neutron"}`,
  );
  if (!printRestore(before, await unitFiles(u))) process.exitCode = 1;
}

async function main(): Promise<void> {
  // A real management cluster: the kubernetes plugin is the real provider, which fails against the
  // stub's kube API (loading the server's schema information there, it gets a 401).
  const kube = await startKubeApiServer();
  let lab: Lab | undefined;
  let cli: CliStack | undefined;
  try {
    lab = await Lab.start({ units: [{ etcDefault: SITE_DEFAULT }], kube });
    cli = await CliStack.create("capi-mgmt");
    cli.setConfig(lab.config());
    const version = (await cli.run(["version"])).stdout.trim();
    print(`magnum-capi-graft lab: the REAL pulumi CLI (${version}) against a SIMULATED conductor.`);
    print("  Simulated (test/sim/): the unit magnum/0, juju and OpenStack; the management cluster is a real");
    print("  kube-apiserver (test/kube/).");
    print("  Stand-ins (test/cli/): the Node.js language host and the openstack and command plugins, which");
    print("  the Go module proxy here does not serve; the kubernetes plugin is the real provider (4.25.0).");
    print("  Each run that runs the program also gets --client=<the program host>; every run gets");
    print("  --non-interactive --color=never.");
    print(`  The simulated world: ${lab.dir}; its management cluster kubeconfig: ${lab.kubeconfigPath}`);
    print(`  The stack (capi-mgmt, file backend): ${cli.projectDir}; all of it is removed at the end.`);
    await runSteps(lab, cli);
  } finally {
    cli?.remove();
    await lab?.stop();
    await kube.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof StepFailed ? `\nlab stopped: ${e.message}` : (e as Error).message);
  process.exitCode = 1;
});
