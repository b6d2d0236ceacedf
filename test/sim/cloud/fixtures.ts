import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CloudOptions, StubCloud } from "./cloud";
import { UnitStatus } from "./types";

export const PROJECT_ID = "674171fd28d446d3a37073b6a761e910";
export const V1BETA1 = [
  { name: "v1beta1", served: true, storage: false },
  { name: "v1beta2", served: true, storage: true },
];
/** What CAPI v1.13 / CAPO v0.14 serve: v1beta1 everywhere, v1alpha6 gone. */
export const SERVED: CloudOptions["servedVersions"] = {
  "clusters.cluster.x-k8s.io": V1BETA1,
  "machinedeployments.cluster.x-k8s.io": V1BETA1,
  "machines.cluster.x-k8s.io": V1BETA1,
  "openstackclusters.infrastructure.cluster.x-k8s.io": V1BETA1,
  "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io": V1BETA1,
};

export function options(dir: string, extra: Partial<CloudOptions> = {}): CloudOptions {
  return {
    stateDir: path.join(dir, "state"),
    projectId: PROJECT_ID,
    projectName: "capi-mgmt",
    securityGroups: [{ name: "capi-mgmt-sg" }],
    servedVersions: SERVED,
    capoAvailable: true,
    helmReleases: [],
    unitStatusFiles: [path.join(dir, "unit0.json")],
    ...extra,
  };
}

/**
 * A conductor daemon's heartbeat: rewrites the status file until stopped, as the real daemon would.
 * Write-then-rename, like the simulated daemon: the stub cloud reads this file from another process,
 * and a read between truncate and write would see no conductor at all.
 */
export function conductor(file: string, status: Partial<UnitStatus>): { stop(): void } {
  const write = (): void => {
    const tmp = `${file}.tmp`;
    fs.writeFileSync(
      tmp,
      JSON.stringify({
        pid: process.pid,
        driverVersion: "1.4.0",
        apiResources: {},
        configDirs: ["/etc/magnum/magnum.conf.d"],
        kubeconfigFile: "/etc/magnum/kubeconfig",
        helmChartVersion: "0.25.1",
        ...status,
        updatedAt: Date.now(),
      }),
    );
    fs.renameSync(tmp, file);
  };
  write();
  const timer = setInterval(write, 300);
  return { stop: () => clearInterval(timer) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI, scoped as the runbook does: admin-openrc, then the project by id only. */
export function openstack(
  cloud: StubCloud,
  args: string[],
  opts: { scope?: "capi-mgmt" | "admin"; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...cloud.osEnv,
    ...opts.env,
  };
  if (opts.scope !== "admin") {
    delete env.OS_PROJECT_NAME;
    env.OS_PROJECT_ID = PROJECT_ID;
  }
  return new Promise((resolve, reject) => {
    execFile("/usr/bin/openstack", args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err?.code === "ENOENT") {
        reject(
          new Error(
            "/usr/bin/openstack missing: apt-get install python3-openstackclient python3-magnumclient",
          ),
        );
        return;
      }
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
