import { createHash } from "crypto";
import * as fs from "fs";
import { MiniEngine, Op, StateEntry } from "../harness/engine";
import { Lab } from "./lab";
import { SimUnit } from "./unit/simUnit";

// `npm run lab`: the graft's preview, up, no-op up and rollback destroy against a SIMULATED
// conductor. Each heading is printed before its step runs, so every line sits under the step that
// caused it; after each step the lab shows what the gates saw, read from state or from the unit.

const SITE_DEFAULT = "# site tuning that was here before the graft\nexport OS_DEBUG=0\n";
// What the graft writes or edits on a unit; the rollback must leave the first two as they were.
const UNIT_FILES = [
  "/etc/default/magnum-conductor",
  "/etc/magnum/magnum.conf",
  "/etc/magnum/kubeconfig",
  "/etc/magnum/magnum.conf.d/00-capi-helm.conf",
];
const INDENT = "   ";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const short = (hex: string) => `${hex.slice(0, 12)}...`;
const print = (line = "") => process.stdout.write(`${line}\n`);

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ").filter((w) => w !== "")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + word.length < width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** Runs a step under its heading; lines the providers log during it are indented beneath it. */
async function step(lab: Lab, title: string, what: string, run: () => Promise<Op[]>): Promise<Op[]> {
  print(`\n== ${title}: ${what}`);
  const callsBefore = (await lab.juju.calls()).length;
  const started = Date.now();
  const log = console.log;
  console.log = (...a: unknown[]) => print(`${INDENT}${a.join(" ")}`);
  let ops: Op[];
  try {
    ops = await run();
  } finally {
    console.log = log;
  }
  const calls = (await lab.juju.calls()).slice(callsBefore);
  const reads = ops.filter((o) => o.op === "read").map((o) => o.name);
  const changes = ops.filter((o) => o.op !== "same" && o.op !== "read");
  if (changes.length > 0) print(`${INDENT}resources:`);
  for (const o of changes) print(`${INDENT}  ${o.op.padEnd(7)} ${o.name}`);
  if (changes.length === 0) print(`${INDENT}resources: nothing to change`);
  wrap(reads.join(", "), 96).forEach((line, i) =>
    print(`${INDENT}  ${i === 0 ? "read   " : "       "} ${line}`),
  );
  const ssh = calls.filter((c) => c.index > 0).length;
  print(
    `${INDENT}-> ${((Date.now() - started) / 1000).toFixed(1)} s; juju calls: ${calls.length} (${ssh} juju ssh to a unit)`,
  );
  return ops;
}

function entry(engine: MiniEngine, name: string): StateEntry | undefined {
  return [...engine.state.values()].find((e) => e.name === name);
}

/** What each gate of a unit saw, as recorded in state by the step that held it. */
function printGates(engine: MiniEngine, lab: Lab, u: SimUnit): void {
  const p = u.spec.unit.replace("/", "-");
  const out = (name: string, key: string) => String(entry(engine, `${p}-${name}`)?.outputs[key] ?? "?");
  const local = sha(fs.readFileSync(lab.kubeconfigPath));
  const onUnit = out("access-kubeconfig", "sha256");
  const rule = entry(engine, `${p}-access-rule`);
  const gates: [string, string][] = [
    [
      "before the kubeconfig",
      `${u.spec.unit} at ${u.spec.address} in juju status; ${out("access-kubeconfig", "gatesSeen")}`,
    ],
    [
      "security group rule",
      `${String(rule?.inputs.remoteIpPrefix)} tcp/${String(rule?.inputs.portRangeMin)}: ${rule?.kind === "read" ? "an identical rule existed, referenced" : `created (id ${rule?.id})`}`,
    ],
    ["before helm", out("access-helm", "gatesSeen")],
    [
      "kubeconfig sha256",
      `${short(onUnit)} on the unit, ${short(local)} locally: ${onUnit === local ? "byte-exact" : "DIFFERENT"}; ` +
        `mode ${out("access-kubeconfig", "liveMode")}, owner ${out("access-kubeconfig", "liveOwner")}`,
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
  print(`${INDENT}gates on ${u.spec.unit} (what each saw, from state):`);
  for (const [name, seen] of gates) print(`${INDENT}  ${name.padEnd(20)} ${seen}`);
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
      verdict = `byte-exact as before the graft (sha256 ${short(sha(was))})`;
    } else {
      verdict = `DIFFERS from before the graft`;
      ok = false;
    }
    print(`${INDENT}  ${f.padEnd(44)} ${verdict}`);
  }
  return ok;
}

async function main(): Promise<void> {
  print(
    "magnum-capi-graft lab: the conductor, juju, OpenStack and the management cluster are SIMULATED here.",
  );
  print("Words in the resource lists:");
  print("  create/update  what `pulumi up` does to the resource (in the preview: what it would do)");
  print("  read     a read-only lookup (the CRDs, the CAPO Deployment, an adopted rule), made on every run");
  print("  delete   its delete ran: nothing for a gate or a provider configuration (capi-mgmt, mgmt-k8s);");
  print("           the undo for the driver, files, /etc/default block and restarts (here: the rollback)");
  print("  discard  dropped from Pulumi state WITHOUT a delete: the read-only lookups, and the security");
  print("           group rule, which a rollback keeps; a discard changes nothing anywhere");
  const lab = await Lab.start({ units: [{ etcDefault: SITE_DEFAULT }] });
  try {
    const engine = lab.engine();
    const u = lab.units[0];
    const before = await unitFiles(u);
    await step(lab, "1/4 preview", "check and diff only; nothing may run on the unit", async () => {
      return (await engine.up(lab.config(), { preview: true })).ops;
    });
    await step(lab, "2/4 up", "every step, each gate checked before the next", async () => {
      return (await engine.up(lab.config())).ops;
    });
    printGates(engine, lab, u);
    const drivers = await u.sh("magnum-driver-manage list-drivers", { user: "root" });
    print(
      `${INDENT}magnum-driver-manage list-drivers on ${u.spec.unit} (the drivers the restarted conductor loads):`,
    );
    for (const line of drivers.stdout.trim().split("\n")) print(`${INDENT}  ${line}`);
    const pid = async () =>
      (await u.sh("systemctl show magnum-conductor -p MainPID --value", { user: "root" })).stdout.trim();
    const pidBefore = await pid();
    await step(lab, "3/4 up again", "a second up must change nothing and call no unit", async () => {
      return (await engine.up(lab.config())).ops;
    });
    const pidAfter = await pid();
    print(
      `${INDENT}conductor MainPID ${pidBefore} -> ${pidAfter} (${pidBefore === pidAfter ? "not restarted" : "RESTARTED"})`,
    );
    await step(lab, "4/4 destroy", "destroyMode=rollback: pin back 1.3.0, restore files, restart", () =>
      engine.destroy(),
    );
    const version = await u.sh("python3 -m pip show magnum-capi-helm | sed -n 's/^Version: //p'", {
      user: "root",
    });
    const active = await u.sh("systemctl is-active magnum-conductor", { user: "root" });
    print(
      `${INDENT}driver after rollback: magnum-capi-helm ${version.stdout.trim()}; conductor ${active.stdout.trim()}`,
    );
    if (!printRestore(before, await unitFiles(u))) process.exitCode = 1;
  } finally {
    await lab.stop();
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exitCode = 1;
});
