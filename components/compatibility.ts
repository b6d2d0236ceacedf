import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** What a chart release series was tested with: its release notes (docs/design.md#chart-compatibility). */
export interface TestedWith {
  readonly capi: string;
  readonly capo: string;
  readonly orc: string;
  readonly helm: string;
}

/** Keyed by chart `major.minor`: a patch release of the chart keeps its providers' minors. */
export const TESTED_WITH: Readonly<Record<string, TestedWith>> = {
  "0.25": { capi: "v1.13", capo: "v0.14", orc: "v2.5", helm: "v3.17" },
};

type Provider = keyof Omit<TestedWith, "helm">;

/** The controllers whose versions the driver's chart depends on, and the Deployment each runs as. */
export const CONTROLLERS: readonly { readonly key: Provider; readonly label: string; readonly id: string }[] =
  [
    { key: "capi", label: "CAPI", id: "capi-system/capi-controller-manager" },
    { key: "capo", label: "CAPO", id: "capo-system/capo-controller-manager" },
    { key: "orc", label: "ORC", id: "orc-system/orc-controller-manager" },
  ];

interface Container {
  readonly name: string;
  readonly image?: string;
}

/** The version tag of a controller Deployment's manager image (`repo/x:v1.13.2[@sha256:...]`). */
export function controllerVersion(id: string, containers: readonly Container[]): string {
  const c =
    containers.find((x) => x.name === "manager") ?? (containers.length === 1 ? containers[0] : undefined);
  const image = c?.image ?? "";
  const tag = /:(v?[0-9]+\.[0-9]+\.[0-9]+[^@/:]*)(@[^/]*)?$/.exec(image)?.[1];
  if (!tag) {
    throw new Error(
      `compatibility gate: expected deployment ${id} to run a manager image tagged with its version; ` +
        `saw ${image ? JSON.stringify(image) : `containers ${containers.map((x) => x.name).join(", ") || "none"}`}. Nothing was changed.`,
    );
  }
  return tag.startsWith("v") ? tag : `v${tag}`;
}

/** Refuses controller versions outside what the chart version was tested with; returns what was seen. */
export function checkControllerVersions(
  chartVersion: string,
  seen: Readonly<Record<Provider, string>>,
): string {
  const series = chartVersion.split(".").slice(0, 2).join(".");
  const tested = TESTED_WITH[series];
  if (!tested) {
    throw new Error(
      `compatibility gate: expected a chartVersion whose tested provider versions are known ` +
        `(${Object.keys(TESTED_WITH)
          .map((s) => `${s}.x`)
          .join(", ")}); saw ${chartVersion}. Nothing was changed: add its row to TESTED_WITH ` +
        "(components/compatibility.ts) from the chart's release notes, or pick a known chartVersion.",
    );
  }
  const found = CONTROLLERS.map((c) => `${c.label} ${seen[c.key]}`).join(", ");
  const off = CONTROLLERS.filter((c) => !`${seen[c.key]}.`.startsWith(`${tested[c.key]}.`));
  if (off.length > 0) {
    throw new Error(
      `compatibility gate: chart ${chartVersion} was tested with ` +
        `${CONTROLLERS.map((c) => `${c.label} ${tested[c.key]}`).join(", ")}; the management cluster runs ${found} ` +
        `(${off.map((c) => `${c.label} is off`).join(", ")}). Nothing was changed: bring the providers to the ` +
        "tested versions (phase-06) or pick a chartVersion tested with them, then run pulumi up.",
    );
  }
  return found;
}

export interface CompatibilityArgs {
  readonly chartVersion: string;
  /** The management cluster's provider and its CAPO Deployment, already read for the CAPI stack check. */
  readonly kubernetes: k8s.Provider;
  readonly capo: k8s.apps.v1.Deployment;
  readonly capiStack: pulumi.Input<string>;
}

/**
 * The gate before any unit changes: controller versions within what the chart was tested with. The
 * chart's half (the version in the repo's index as each conductor fetches it) runs on every unit
 * inside its first step. `ready` carries the versions.
 */
export class Compatibility extends pulumi.ComponentResource {
  /** "ready" once the versions hold; every unit's gates wait on it. */
  readonly ready: pulumi.Output<string>;
  /** The controller versions found. */
  readonly summary: pulumi.Output<string>;

  constructor(name: string, args: CompatibilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("magnum-capi-graft:index:Compatibility", name, {}, opts);
    const read = { parent: this, provider: args.kubernetes };
    const deployments = CONTROLLERS.map((c) =>
      c.key === "capo" ? args.capo : k8s.apps.v1.Deployment.get(`${name}-${c.key}`, c.id, read),
    );
    const specs = pulumi.all(deployments.map((d) => d.spec));
    this.summary = pulumi.all([args.capiStack, specs]).apply(([, all]) => {
      const seen = Object.fromEntries(
        CONTROLLERS.map((c, i) => [c.key, controllerVersion(c.id, all[i]?.template?.spec?.containers ?? [])]),
      ) as Record<Provider, string>;
      return checkControllerVersions(args.chartVersion, seen);
    });
    // Constant once the versions hold, so a provider upgrade within the tested minors reruns nothing.
    this.ready = this.summary.apply(() => "ready");
    this.registerOutputs({ ready: this.ready, summary: this.summary });
  }
}
