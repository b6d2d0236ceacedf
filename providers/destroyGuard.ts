import * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "./resource";
import { ClusterInventory, listClusters } from "./clusterInventory";
import { changedKeys, checkInputs } from "./diffing";
import { DestroyMode } from "../core/destroyMode";
import { mustMatch, PATTERNS } from "../core/shell";

// Created after every unit's last step, so a destroy deletes it first: its delete is the only code
// that runs before anything is undone. It lists the clusters the driver manages (at up and refresh
// too, so the recorded consequences show in a destroy preview) and refuses a remove while any exist.

export interface DestroyGuardInputs {
  readonly destroyMode: DestroyMode;
  readonly allowRemoveWithClusters: boolean;
  readonly projectId: string;
  /** The management cluster's kubeconfig content (secret input and output). */
  readonly kubeconfig: string;
  readonly units: string[];
  readonly driverVersion: string;
  readonly rollbackDriverVersion: string;
}

export interface DestroyGuardOutputs extends DestroyGuardInputs {
  /** Magnum clusters on CAPI templates, then CAPI Clusters in magnum-* namespaces, at the last look. */
  readonly clusters: string[];
  /** What `pulumi destroy` will do and what it costs, for the operator. */
  readonly onDestroy: string;
}

const KEYS = [
  "destroyMode",
  "allowRemoveWithClusters",
  "projectId",
  "kubeconfig",
  "units",
  "driverVersion",
  "rollbackDriverVersion",
] as const;

function validate(i: DestroyGuardInputs): void {
  if (i.destroyMode !== "rollback" && i.destroyMode !== "remove")
    throw new Error(`destroyMode: expected rollback or remove; saw ${JSON.stringify(i.destroyMode)}`);
  if (typeof i.allowRemoveWithClusters !== "boolean")
    throw new Error("allowRemoveWithClusters: expected a boolean");
  mustMatch("projectId", i.projectId, /^[0-9a-f]{32}$/, "a project id of 32 hex digits");
  for (const u of i.units) mustMatch("unit", u, PATTERNS.unit, "a unit name like magnum/0");
}

/** Every cluster listed, Magnum first (by name, uuid and creation time), then CAPI objects. */
function listed(inv: ClusterInventory): string[] {
  return [...inv.magnum.map((c) => `magnum: ${c}`), ...inv.capi.map((c) => `capi: ${c}`)];
}

/** `failure`: why the clusters could not be listed (then they are unknown, not absent). */
export function describeDestroy(i: DestroyGuardInputs, inv: ClusterInventory, failure?: string): string {
  const units = i.units.join(", ");
  if (i.destroyMode === "rollback") {
    const affected = failure
      ? `unknown (${failure})`
      : inv.magnum.length > 0
        ? inv.magnum.join("; ")
        : "none at the last look";
    return (
      `pulumi destroy rolls back: pins magnum-capi-helm ${i.rollbackDriverVersion} on ${units}. ` +
      `On CAPO >= 0.11, ${i.rollbackDriverVersion} reports every cluster UNHEALTHY ("Infrastructure resource not found."). ` +
      `It deletes Keystone application credentials by the name magnum-<uuid>, while ${i.driverVersion} creates ` +
      `magnum-<uuid>-<hex>: a cluster created under ${i.driverVersion} and deleted after the rollback leaves its ` +
      `application credential behind (delete it with openstack application credential delete). Clusters affected: ${affected}.`
    );
  }
  if (failure)
    return `pulumi destroy removes the driver from ${units} only once it can list the clusters; ${failure}.`;
  const all = listed(inv);
  if (all.length === 0)
    return `pulumi destroy removes the driver from ${units}; no clusters on the CAPI driver at the last look.`;
  return i.allowRemoveWithClusters
    ? `pulumi destroy removes the driver from ${units} although clusters exist (allowRemoveWithClusters): ` +
        `they become unmanageable from Magnum: ${all.join("; ")}.`
    : `pulumi destroy (remove) is refused while clusters exist on the CAPI driver: ${all.join("; ")}.`;
}

export function refusal(i: DestroyGuardInputs, found: string): string {
  return (
    `destroy guard: expected no clusters on the CAPI driver before removing it from ${i.units.join(", ")}; ` +
    `saw ${found}. Nothing was changed. Delete those clusters first (openstack coe cluster delete), or set ` +
    "destroyMode rollback, or accept that they become unmanageable from Magnum: " +
    "pulumi config set magnum-capi-graft:allowRemoveWithClusters true, pulumi up (state records it), then pulumi destroy."
  );
}

export class DestroyGuardProvider implements pulumi.dynamic.ResourceProvider {
  async check(_olds: DestroyGuardInputs, news: DestroyGuardInputs): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, validate, "destroyGuard");
  }

  /** No I/O: the inventory is taken again on a change, on refresh and at destroy. */
  async diff(
    _id: string,
    olds: DestroyGuardOutputs,
    news: DestroyGuardInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    return { changes: changedKeys(olds, news, KEYS).length > 0 };
  }

  async create(inputs: DestroyGuardInputs): Promise<pulumi.dynamic.CreateResult> {
    validate(inputs);
    return { id: `destroy-guard-${inputs.projectId}`, outs: await this.look(inputs) };
  }

  async update(
    _id: string,
    _olds: DestroyGuardOutputs,
    news: DestroyGuardInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    validate(news);
    return { outs: await this.look(news) };
  }

  async read(id: string, props: DestroyGuardOutputs): Promise<pulumi.dynamic.ReadResult> {
    return { id, props: await this.look(props) };
  }

  async delete(_id: string, props: DestroyGuardOutputs): Promise<void> {
    if (props.destroyMode === "remove" && props.allowRemoveWithClusters) return;
    let inv: ClusterInventory;
    try {
      inv = await listClusters(props.projectId, props.kubeconfig);
    } catch (e) {
      if (props.destroyMode !== "remove") {
        console.log(describeDestroy(props, { magnum: [], capi: [] }, (e as Error).message));
        return;
      }
      throw new Error(refusal(props, `no answer to the cluster listing (${(e as Error).message})`));
    }
    if (props.destroyMode !== "remove") {
      console.log(describeDestroy(props, inv));
      return;
    }
    const all = listed(inv);
    if (all.length > 0) throw new Error(refusal(props, all.join("; ")));
  }

  /**
   * A listing that fails is recorded, not thrown: the units are grafted by now, and the destroy
   * asks again (a remove it cannot check is refused there).
   */
  private async look(i: DestroyGuardInputs): Promise<DestroyGuardOutputs> {
    const inputs = Object.fromEntries(KEYS.map((k) => [k, i[k]])) as unknown as DestroyGuardInputs;
    try {
      const inv = await listClusters(i.projectId, i.kubeconfig);
      return { ...inputs, clusters: listed(inv), onDestroy: describeDestroy(inputs, inv) };
    } catch (e) {
      const why = `clusters could not be listed: ${(e as Error).message}`;
      console.log(`destroy guard: ${why}`);
      return { ...inputs, clusters: [], onDestroy: describeDestroy(inputs, { magnum: [], capi: [] }, why) };
    }
  }
}

export interface DestroyGuardArgs {
  readonly destroyMode: pulumi.Input<DestroyMode>;
  readonly allowRemoveWithClusters: pulumi.Input<boolean>;
  readonly projectId: pulumi.Input<string>;
  readonly kubeconfig: pulumi.Input<string>;
  readonly units: pulumi.Input<string[]>;
  readonly driverVersion: pulumi.Input<string>;
  readonly rollbackDriverVersion: pulumi.Input<string>;
}

/** Refuses a remove-mode destroy while the driver manages clusters; states a rollback's consequences. */
export class DestroyGuard extends dynamicResource<DestroyGuardArgs>(
  "DestroyGuard",
  new DestroyGuardProvider(),
  ["clusters", "onDestroy"],
) {
  declare readonly clusters: pulumi.Output<string[]>;
  declare readonly onDestroy: pulumi.Output<string>;

  constructor(name: string, args: DestroyGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      name,
      { ...args, kubeconfig: pulumi.secret(args.kubeconfig) },
      { ...opts, additionalSecretOutputs: ["kubeconfig"] },
    );
  }
}
