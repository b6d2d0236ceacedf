import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { killGroup } from "../../providers/localProcess";

// `npm run lab` as a newcomer runs it (after its build): `node build/test/sim/labMain.js` in the
// project directory, its output read as they would read it. The secrets it must never print are
// read from its simulated world while it runs (that world is removed when it ends).

const ROOT = path.resolve(__dirname, "../../..");
const NODE = path.join(ROOT, "node_modules/.bin/node");
const LAB = path.join(__dirname, "../sim/labMain.js");

interface LabRun {
  readonly code: number | null;
  readonly output: string;
  readonly secrets: { token: string; password: string };
}

function runLab(started: (pid: number) => void): Promise<LabRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [LAB], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
    if (child.pid !== undefined) started(child.pid);
    let output = "";
    const secrets = { token: "", password: "" };
    const onData = (b: Buffer) => {
      output += b.toString();
      const world = /The simulated world: (\S+); its management cluster kubeconfig: (\S+)\n/.exec(output);
      if (world && secrets.token === "") {
        secrets.token = /token: (\S+)/.exec(fs.readFileSync(world[2], "utf8"))?.[1] ?? "";
        // What the unit's set-up wrote into magnum.conf's [trust] section.
        secrets.password = fs.readFileSync(path.join(world[1], "unit-0/inputs/trust-password"), "utf8");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output, secrets }));
  });
}

/** The lines under a step's heading, up to the next heading. */
function section(output: string, title: string): string {
  const at = output.indexOf(`\n== ${title}: `);
  assert.ok(at >= 0, `heading ${title} in the lab's output`);
  const next = output.indexOf("\n== ", at + 1);
  return output.slice(at, next < 0 ? undefined : next);
}

describe("`npm run lab`: the real pulumi CLI against a simulated conductor, as a newcomer runs it", function () {
  this.timeout(900_000);
  let run: LabRun;
  let pid: number | undefined;

  before(async () => {
    run = await runLab((p) => (pid = p));
    pid = undefined;
  });
  after(() => {
    if (pid !== undefined) killGroup(pid);
  });

  it("exits 0 with the four steps under their headings, in order, each the CLI's own output", () => {
    assert.equal(run.code, 0, run.output);
    const titles = ["1/4 preview", "2/4 up", "3/4 up again", "4/4 destroy"];
    const at = titles.map((t) => run.output.indexOf(`\n== ${t}: `));
    assert.deepEqual(
      at.map((x) => x >= 0),
      [true, true, true, true],
    );
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
    );
    assert.match(
      section(run.output, "1/4 preview"),
      /\$ pulumi preview\n\s+Previewing update \(capi-mgmt\):/,
    );
    assert.match(section(run.output, "1/4 preview"), /Resources:\n\s+\+ \d+ to create/);
    const up = section(run.output, "2/4 up");
    assert.match(up, /Updating \(capi-mgmt\):/);
    assert.match(up, /\[magnum\/0\] pip install magnum-capi-helm==1\.4\.0: Successfully installed/);
    assert.match(up, /Resources:\n\s+\+ \d+ created/);
    assert.match(section(run.output, "3/4 up again"), /Resources:\n\s+\d+ unchanged\n/);
    const destroy = section(run.output, "4/4 destroy");
    assert.match(destroy, /SecGroupRule magnum-0-access-rule delete\[retain\]/);
    assert.match(destroy, /Resources:\n\s+- \d+ deleted/);
  });

  it("the preview and the second up make no juju call, the up does; the second up keeps the daemon", () => {
    const calls = (title: string) =>
      Number(/-> [\d.]+ s; exit 0; juju calls: (\d+) /.exec(section(run.output, title))?.[1]);
    assert.deepEqual(["1/4 preview", "3/4 up again"].map(calls), [0, 0]);
    assert.ok(calls("2/4 up") > 0 && calls("4/4 destroy") > 0, "the counter counts");
    const pids = /conductor MainPID (\d+) -> (\d+) \(not restarted\)/.exec(
      section(run.output, "3/4 up again"),
    );
    assert.ok(pids && pids[1] === pids[2], "MainPID kept over the second up");
  });

  it("after up shows what the gates saw and the driver the conductor loads", () => {
    const up = section(run.output, "2/4 up");
    assert.match(up, /before the rule\s+preflight: trust domain by [^]*?security group rule/);
    assert.match(up, /before the kubeconfig\s+TCP\s+gate\s+to\s+127\.0\.0\.1:\d+:\s+TCP-OK/);
    assert.match(up, /kubeconfig\s+byte-exact on the unit and locally/);
    assert.match(up, /show-args\s+holds:/);
    assert.match(up, /gates: the three rows `before \.\.\.` above, joined/);
    assert.match(up, /\| k8s_capi_helm_v1 \|/);
  });

  it("after the rollback: 1.3.0, the rule kept, each file byte-exact or kept as documented", () => {
    const destroy = section(run.output, "4/4 destroy");
    assert.match(destroy, /driver after rollback: magnum-capi-helm 1\.3\.0; conductor active/);
    assert.match(destroy, /security group rule 10\.12\.4\.76\/32: kept in Neutron/);
    const verdicts = Object.fromEntries(
      [...destroy.matchAll(/^ {5}(\/etc\/\S+)\s+(.+)$/gm)].map((m) => [m[1], m[2]] as const),
    );
    const kept = "kept (did not exist before; the 1.3.0 holding state reads it)";
    assert.deepEqual(verdicts, {
      "/etc/default/magnum-conductor": "byte-exact as before the graft",
      "/etc/magnum/magnum.conf": "byte-exact as before the graft",
      "/etc/magnum/kubeconfig": kept,
      "/etc/magnum/magnum.conf.d/00-capi-helm.conf": kept,
    });
  });

  it("prints neither the kubeconfig's token nor the trustee password", () => {
    const { token, password } = run.secrets;
    assert.ok(token.length > 8 && password.length > 4, "the secrets were read while the lab ran");
    assert.ok(!run.output.includes(token), "the kubeconfig's token in the lab's output");
    assert.ok(!run.output.includes(password), "the trustee password in the lab's output");
  });
});
