import * as fs from "fs";
import { ServedVersions, UnitStatus } from "./types";

/** A conductor whose daemon has not refreshed its status file within this window is treated as dead. */
const LIVE_MS = 3000;

export interface Health {
  status: "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
  reason: Record<string, string>;
}

/** The kinds 1.4.0 looks up for a health check, in its order, with its code defaults. */
const KINDS = [
  { kind: "Cluster", apiVersion: "cluster.x-k8s.io/v1beta1", plural: "clusters" },
  {
    kind: "OpenstackCluster",
    apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
    plural: "openstackclusters",
  },
  {
    kind: "K8sControlPlane",
    apiVersion: "controlplane.cluster.x-k8s.io/v1beta1",
    plural: "kubeadmcontrolplanes",
  },
  { kind: "MachineDeployment", apiVersion: "cluster.x-k8s.io/v1beta1", plural: "machinedeployments" },
  { kind: "Machine", apiVersion: "cluster.x-k8s.io/v1beta1", plural: "machines" },
];

/** 1.3.0 hard-codes the infrastructure lookup at a version CAPO >= 0.11 no longer serves. */
const V130_INFRA = {
  kind: "OpenstackCluster",
  apiVersion: "infrastructure.cluster.x-k8s.io/v1alpha6",
  plural: "openstackclusters",
};

function readStatus(file: string): UnitStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as UnitStatus;
  } catch {
    return undefined;
  }
}

/** The first conductor (in unit order) that is live and has the driver loaded answers the RPC. */
export function liveConductor(files: string[], at = Date.now()): UnitStatus | undefined {
  return files
    .map(readStatus)
    .find(
      (s) =>
        s !== undefined &&
        at - s.updatedAt <= LIVE_MS &&
        s.driverVersion !== null &&
        s.driverVersion !== undefined,
    );
}

function served(versions: ServedVersions, plural: string, apiVersion: string): boolean {
  const slash = apiVersion.lastIndexOf("/");
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  return (versions[`${plural}.${group}`] ?? []).some((v) => v.name === version && v.served);
}

function failure(kind: string, apiVersion: string): Health {
  if (kind === "OpenstackCluster") {
    return { status: "UNHEALTHY", reason: { infrastructure: "Infrastructure resource not found." } };
  }
  return { status: "UNHEALTHY", reason: { api: `${kind} ${apiVersion} not served` } };
}

export function clusterHealth(files: string[], versions: ServedVersions): Health {
  const unit = liveConductor(files);
  if (!unit) {
    return { status: "UNKNOWN", reason: { conductor: "no conductor with the capi-helm driver is running" } };
  }
  const lookups =
    unit.driverVersion === "1.3.0"
      ? [KINDS[0], V130_INFRA]
      : KINDS.map((k) => {
          const override = unit.apiResources?.[k.kind];
          const plural = k.kind === "K8sControlPlane" ? (override?.plural_name ?? k.plural) : k.plural;
          return { kind: k.kind, apiVersion: override?.api_version ?? k.apiVersion, plural };
        });
  const bad = lookups.find((l) => !served(versions, l.plural, l.apiVersion));
  return bad ? failure(bad.kind, bad.apiVersion) : { status: "HEALTHY", reason: {} };
}
