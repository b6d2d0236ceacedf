import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MiniEngine, Natives } from "../harness/engine";
import { KubeApiServer } from "../kube/apiserver";
import { CloudOptions, operatorKubeconfig, StubCloud } from "./cloud/cloud";
import { helmReleaseSecret } from "./cloud/helmRelease";
import { JujuFake } from "./juju/jujuFake";
import { KubeAccess, LabNatives } from "./natives";
import { ArtifactServer, buildArtifacts } from "./unit/artifacts";
import { SimUnit, SimUnitSpec } from "./unit/simUnit";

export const PROJECT_ID = "674171fd28d446d3a37073b6a761e910";
export const HELM_RELEASES = ["cert-manager", "cluster-api-addon-provider", "cluster-api-janitor-openstack"];
const V1BETA1 = [{ name: "v1beta1", served: true, storage: true }];
const V1ALPHA1 = [{ name: "v1alpha1", served: true, storage: true }];

export interface LabOptions {
  readonly units?: Array<Partial<Omit<SimUnitSpec, "workDir" | "artifacts">>>;
  readonly clusters?: string[];
  readonly templates?: CloudOptions["templates"];
  readonly capiClusters?: Array<{ namespace: string; name: string }>;
  /**
   * A real kube-apiserver (test/kube/apiserver.ts) for the management cluster: the kubeconfig and
   * config() name it instead of the stub's kube API, and the helm releases are written into it.
   */
  readonly kube?: KubeApiServer;
}

/**
 * A simulated conductor world: units in their own namespaces, a fake juju, a stub cloud and kube
 * API (or a given real kube-apiserver), a package index and helm tarballs on loopback. Everything it
 * starts it stops by pid.
 */
export class Lab {
  private savedEnv: Record<string, string | undefined> = {};

  private constructor(
    readonly dir: string,
    readonly units: SimUnit[],
    readonly juju: JujuFake,
    readonly cloud: StubCloud,
    readonly server: ArtifactServer,
    /** The management cluster's API as the kubeconfig names it, with the admin's token. */
    readonly mgmt: KubeAccess,
    readonly kubeconfigPath: string,
    readonly helmSha256: string,
  ) {}

  static async start(o: LabOptions = {}): Promise<Lab> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "graft-lab-"));
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      const artifacts = await buildArtifacts();
      const server = await ArtifactServer.start(artifacts);
      started.push(server);
      const specs = o.units ?? [{}];
      const units: SimUnit[] = [];
      for (const [i, s] of specs.entries()) {
        const workDir = path.join(dir, `unit-${i}`);
        fs.mkdirSync(workDir);
        const unit = await SimUnit.start({
          unit: `magnum/${i}`,
          address: `10.12.4.${76 + i}`,
          machine: `1/lxd/${2 + i}`,
          ...s,
          workDir,
          artifacts,
        });
        units.push(unit);
        started.push(unit);
      }
      const cloud = await StubCloud.start({
        stateDir: path.join(dir, "cloud"),
        projectId: PROJECT_ID,
        projectName: "capi-mgmt",
        securityGroups: [{ name: "capi-mgmt-sg" }],
        servedVersions: {
          "clusters.cluster.x-k8s.io": V1BETA1,
          "machinedeployments.cluster.x-k8s.io": V1BETA1,
          "machines.cluster.x-k8s.io": V1BETA1,
          "openstackclusters.infrastructure.cluster.x-k8s.io": V1BETA1,
          "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io": V1BETA1,
          "manifests.addons.stackhpc.com": V1ALPHA1,
          "helmreleases.addons.stackhpc.com": V1ALPHA1,
          "images.openstack.k-orc.cloud": V1ALPHA1,
        },
        capoAvailable: true,
        helmReleases: HELM_RELEASES.map((name) => ({ name, namespace: name })),
        unitStatusFiles: units.map((u) => u.statusFile),
        clusters: (o.clusters ?? []).map((name) => ({ name })),
        templates: o.templates ?? [],
        capiClusters: o.capiClusters ?? [],
        keypairs: ["capi-mgmt-key"],
      });
      started.push(cloud);
      const juju = await JujuFake.create(path.join(dir, "juju"), "openstack", units);
      const mgmt = o.kube
        ? await seedManagementCluster(o.kube)
        : { server: cloud.kubeServer, token: cloud.kubeToken };
      const kubeconfigPath = path.join(dir, "capi-mgmt.kubeconfig");
      fs.writeFileSync(kubeconfigPath, operatorKubeconfig(mgmt.server, mgmt.token, mgmt.ca), {
        mode: 0o600,
      });
      const lab = new Lab(
        dir,
        units,
        juju,
        cloud,
        server,
        mgmt,
        kubeconfigPath,
        artifacts.helmTarballs["v3.17.3"].sha256,
      );
      lab.setEnv({ ...cloud.osEnv, PATH: `${juju.binDir}:${process.env.PATH}` });
      return lab;
    } catch (e) {
      for (const s of started.reverse()) await s.stop().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** The stack configuration a user would write for this world. */
  config(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const kube = new URL(this.mgmt.server);
    return {
      conductors: this.units.map((u) => ({ unit: u.spec.unit, address: u.spec.address })),
      mgmtProjectId: PROJECT_ID,
      mgmtApiHost: kube.hostname,
      mgmtApiPort: Number(kube.port),
      mgmtKubeconfigPath: this.kubeconfigPath,
      pipIndexUrl: this.server.indexUrl(),
      helmTarballUrl: this.server.helmUrl("v3.17.3"),
      helmTarballSha256: this.helmSha256,
      chartRepo: this.cloud.chartRepo,
      egressCheckUrls: [this.server.indexUrl(), this.server.helmUrl("v3.17.3")],
      expectedHelmReleases: HELM_RELEASES,
      ...extra,
    };
  }

  /** An engine on this world; `wrap` may watch every native operation (it runs the given ones). */
  engine(wrap: (natives: Natives) => Natives = (n) => n): MiniEngine {
    return new MiniEngine(wrap(new LabNatives(PROJECT_ID, this.mgmt)));
  }

  async stop(): Promise<void> {
    for (const s of [this.cloud, ...this.units, this.server]) await s.stop().catch(() => undefined);
    for (const [k, v] of Object.entries(this.savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private setEnv(env: Record<string, string>): void {
    for (const [k, v] of Object.entries(env)) {
      this.savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
  }
}

/**
 * What the graft's gates read besides the fixture's CRDs and controllers: the helm releases (in
 * their namespaces, as helm stores them) and an available CAPO. Idempotent, so one apiserver can
 * serve several labs. The admin's access is the fixture's static token.
 */
async function seedManagementCluster(kube: KubeApiServer): Promise<KubeAccess> {
  for (const name of HELM_RELEASES) {
    const secret = helmReleaseSecret(name, name);
    for (const [path, body] of [
      ["/api/v1/namespaces", { metadata: { name } }],
      [`/api/v1/namespaces/${name}/secrets`, secret],
    ] as const) {
      const r = await kube.admin.request("POST", path, { body });
      if (r.status !== 201 && r.status !== 409)
        throw new Error(
          `Lab: seeding ${path}: expected 201 or 409, saw ${r.status} ${r.body?.message ?? ""}`,
        );
    }
  }
  await kube.setCapoAvailable(true);
  const admin = JSON.parse(kube.adminKubeconfig) as { users: Array<{ user: { token: string } }> };
  return { server: kube.url, token: admin.users[0].user.token, ca: kube.ca };
}
