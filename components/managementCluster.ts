import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ApiResourceMap, SERVED_KINDS } from "../core/driverKinds";
import { checkApiResources, CrdVersion, deriveApiResources } from "./apiResources";

export interface ManagementClusterArgs {
  /** The kubeconfig content (secret). */
  readonly kubeconfig: pulumi.Input<string>;
  readonly apiResources: "auto" | ApiResourceMap;
}

const ORC_IMAGES_CRD = "images.openstack.k-orc.cloud";
const CAPO_DEPLOYMENT = "capo-system/capo-controller-manager";

/** Native reads of the management cluster: what it serves, and whether the CAPI stack is up. Changes nothing. */
export class ManagementCluster extends pulumi.ComponentResource {
  /** The `api_resources` value to write: compact JSON. */
  readonly apiResourcesJson: pulumi.Output<string>;
  /** "ready", or the program fails naming what is missing. */
  readonly capiStack: pulumi.Output<string>;
  /** The reads' provider and the CAPO Deployment, for the compatibility gate's version reads. */
  readonly provider: k8s.Provider;
  readonly capo: k8s.apps.v1.Deployment;

  constructor(name: string, args: ManagementClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:index:ManagementCluster", name, {}, opts);
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: args.kubeconfig }, { parent: this });
    this.provider = provider;
    const read = { parent: this, provider };

    const crds = SERVED_KINDS.map((k) =>
      k8s.apiextensions.v1.CustomResourceDefinition.get(`${name}-crd-${k.crd}`, k.crd, read),
    );
    const served = pulumi.all(crds.map((c) => c.spec.versions)).apply((all) => {
      const byCrd: Record<string, CrdVersion[]> = {};
      SERVED_KINDS.forEach((k, i) => {
        byCrd[k.crd] = (all[i] ?? []).map((v) => ({ name: v.name, served: v.served, storage: v.storage }));
      });
      return byCrd;
    });
    const apiResources = args.apiResources;
    this.apiResourcesJson = served.apply((s) =>
      JSON.stringify(apiResources === "auto" ? deriveApiResources(s) : checkApiResources(apiResources, s)),
    );

    const orc = k8s.apiextensions.v1.CustomResourceDefinition.get(
      `${name}-crd-${ORC_IMAGES_CRD}`,
      ORC_IMAGES_CRD,
      read,
    );
    const capo = k8s.apps.v1.Deployment.get(`${name}-capo`, CAPO_DEPLOYMENT, read);
    this.capo = capo;
    this.capiStack = pulumi.all([orc.id, capo.status]).apply(([, status]) => {
      const available = (status?.conditions ?? []).find((c) => c.type === "Available");
      if (available?.status !== "True") {
        throw new Error(
          `management cluster: expected deployment ${CAPO_DEPLOYMENT} Available=True; saw ` +
            `${available ? `${available.status} (${available.reason ?? ""} ${available.message ?? ""})` : "no Available condition"}. ` +
            "Nothing was changed: fix the CAPI stack (phase-06), then run pulumi up.",
        );
      }
      return "ready";
    });
    this.registerOutputs({ apiResourcesJson: this.apiResourcesJson, capiStack: this.capiStack });
  }
}
