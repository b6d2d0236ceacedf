import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import { Lab } from "./lab";
import { SimUnit } from "./unit/simUnit";

// The runbook's end state, measured on a simulated unit: shared by the harness lifecycle tests and
// the real-engine tier (test/cli/).

export const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

export async function onUnit(u: SimUnit, script: string): Promise<string> {
  const r = await u.sh(script, { user: "root" });
  return r.stdout.trim();
}

/** The runbook's gates, measured on the unit. */
export async function assertGrafted(lab: Lab, u: SimUnit): Promise<void> {
  const kubeconfig = fs.readFileSync(lab.kubeconfigPath);
  assert.equal(
    sha((await u.readFile("/etc/magnum/kubeconfig")) ?? ""),
    sha(kubeconfig),
    "kubeconfig byte-exact",
  );
  assert.deepEqual(await u.stat("/etc/magnum/kubeconfig"), {
    mode: "0600",
    owner: "magnum",
    group: "magnum",
  });
  assert.equal(await onUnit(u, "python3 -m pip show magnum-capi-helm | sed -n 's/^Version: //p'"), "1.4.0");
  const dropIn = String(await u.readFile("/etc/magnum/magnum.conf.d/00-capi-helm.conf"));
  assert.match(dropIn, /^default_helm_chart_version = 0\.25\.1$/m);
  assert.match(dropIn, /^api_resources = \{\}$/m);
  assert.deepEqual(await u.stat("/etc/magnum/magnum.conf.d/00-capi-helm.conf"), {
    mode: "0644",
    owner: "root",
    group: "root",
  });
  const showArgs = (await u.sh("/etc/init.d/magnum-conductor show-args", { user: "ubuntu" })).stdout;
  assert.ok(
    showArgs.includes("--config-file=/etc/magnum/magnum.conf") &&
      showArgs.includes("--config-dir /etc/magnum/magnum.conf.d"),
  );
  assert.equal(await onUnit(u, "systemctl is-active magnum-conductor"), "active");
  assert.match(
    await onUnit(u, "ps -ww -C magnum-conductor -o args="),
    /--config-dir \/etc\/magnum\/magnum\.conf\.d/,
  );
  assert.match(await onUnit(u, "magnum-driver-manage list-drivers"), /k8s_capi_helm_v1/);
  assert.match(await onUnit(u, "helm version --short"), /^v3\.17\.3/);
  assert.equal(
    await onUnit(u, "grep -rlF capi-mgmt-admin /tmp || true"),
    "",
    "no kubeconfig copy in the unit's /tmp",
  );
}

/** The pre-graft content of the files a rollback must put back byte for byte. */
export interface PreGraft {
  readonly etcDefault: Buffer | undefined;
  readonly magnumConf: Buffer | undefined;
}

/** Rollback's end state: 1.3.0 pinned, pre-graft files byte-exact, holding state kept, active, rule kept. */
export async function assertRolledBack(lab: Lab, u: SimUnit, original: PreGraft): Promise<void> {
  assert.equal(await onUnit(u, "python3 -m pip show magnum-capi-helm | sed -n 's/^Version: //p'"), "1.3.0");
  assert.deepEqual(await u.readFile("/etc/default/magnum-conductor"), original.etcDefault);
  assert.deepEqual(await u.readFile("/etc/magnum/magnum.conf"), original.magnumConf);
  assert.ok(await u.readFile("/etc/magnum/kubeconfig"), "kubeconfig kept for the 1.3.0 holding state");
  assert.ok(await u.readFile("/etc/magnum/magnum.conf.d/00-capi-helm.conf"), "drop-in kept");
  assert.equal(await onUnit(u, "systemctl is-active magnum-conductor"), "active");
  assert.match(await onUnit(u, "magnum-driver-manage list-drivers"), /k8s_capi_helm_v1/);
  assert.ok(await hasRule(lab, `${u.spec.address}/32`), "rule stays");
}

/** Remove mode's end state: driver, files, block and helm gone, active, the graft's rule deleted. */
export async function assertRemoved(lab: Lab, u: SimUnit): Promise<void> {
  assert.equal(
    await onUnit(u, "python3 -m pip show magnum-capi-helm >/dev/null 2>&1 && echo installed || echo absent"),
    "absent",
  );
  for (const p of [
    "/etc/magnum/kubeconfig",
    "/etc/magnum/magnum.conf.d",
    "/etc/default/magnum-conductor",
    "/usr/local/bin/helm",
  ]) {
    assert.equal(await onUnit(u, `test -e ${p} && echo present || echo absent`), "absent", p);
  }
  assert.equal(await onUnit(u, "systemctl is-active magnum-conductor"), "active");
  assert.ok(!(await hasRule(lab, `${u.spec.address}/32`)), "rule deleted");
}

export async function hasRule(lab: Lab, cidr: string): Promise<boolean> {
  return (await lab.cloud.rules("capi-mgmt-sg")).some((x) => x.remote_ip_prefix === cidr);
}
