import * as pulumi from "@pulumi/pulumi";
import { gateError, isGateError } from "../errors";
import { RemoteScript, RemoteScriptProvider, TargetArgs } from "../kernel";
import { Connect, defaultConnect } from "../remote";
import { checkKind } from "./checks";
import { CheckSpec, RemoteCheckInputs, RemoteCheckOutputs } from "./types";

export { CheckSpec, RemoteCheckInputs, RemoteCheckOutputs } from "./types";

/** The unit the preflight runs on must be the one conductors[] names: juju status, before the script. */
async function checkUnit(connect: Connect, i: RemoteCheckInputs): Promise<void> {
  if (i.check.kind !== "preflight") return;
  let info;
  try {
    info = await connect(i.transport).describeUnit(i.unit, 60_000);
  } catch (e) {
    throw new Error(
      `preflight on ${i.unit}: ${(e as Error).message}. Nothing was changed; run pulumi up again.`,
    );
  }
  if (!info) {
    throw gateError(
      `preflight on ${i.unit}: expected the unit in the model; saw no such unit in juju status`,
    );
  }
  if (info.address !== i.check.address) {
    throw gateError(
      `preflight on ${i.unit}: expected public-address ${i.check.address} (conductors[].address); ` +
        `saw ${info.address || "none"} in juju status. Fix the conductors entry, then run pulumi up.`,
    );
  }
}

const gate = (c: CheckSpec) => ({
  step: checkKind(c).step(c),
  body: checkKind(c).script(c),
  timeoutSeconds: 120,
});

const REMOTE_CHECK: RemoteScript<RemoteCheckInputs, RemoteCheckOutputs> = {
  replaceKeys: [],
  applyKeys: ["check", "guards"],
  recordKeys: [],
  deleteBeforeReplace: false,
  tracksChanges: false,
  checkProperty: "check",
  validate: (i) => checkKind(i.check).validate(i.check),
  id: (i) => `${i.unit}:${i.check.kind}`,
  drifted: (olds) => olds.passed !== "1",
  apply: (i) => gate(i.check),
  measure: (p) => gate(p.check),
  remove: () => undefined,
  live: (r) => ({ passed: "1", seen: r.seen ?? "" }),
  precheck: checkUnit,
  // A gate that no longer holds is recorded, not thrown: refresh reports it and the next up reruns it.
  findings: (e) => (isGateError(e) ? { passed: "0", seen: (e as Error).message } : undefined),
};

export class RemoteCheckProvider extends RemoteScriptProvider<RemoteCheckInputs, RemoteCheckOutputs> {
  constructor(connect: Connect = defaultConnect) {
    super(REMOTE_CHECK, connect);
  }
}

export interface RemoteCheckArgs extends TargetArgs {
  readonly check: pulumi.Input<CheckSpec>;
  readonly guards: pulumi.Input<string>;
}

/** A read-only GATE run on the unit; nothing after it starts until it holds. */
export class RemoteCheck extends pulumi.dynamic.Resource {
  declare readonly seen: pulumi.Output<string>;

  constructor(name: string, args: RemoteCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      new RemoteCheckProvider(),
      name,
      { ...args, passed: undefined, seen: undefined },
      opts,
      "magnum-capi-graft",
      "RemoteCheck",
    );
  }
}
