import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import { gunzipSync } from "zlib";
import { StubCloud } from "./cloud";
import { options, SERVED } from "./fixtures";
import { tempDir } from "../unit/testSupport";

describe("stub cloud: management-cluster apiserver", function () {
  this.timeout(30_000);
  let dir: string;
  let cloud: StubCloud;

  const get = (p: string, token = cloud.kubeToken): Promise<Response> =>
    fetch(`${cloud.kubeServer}${p}`, { headers: { Authorization: `Bearer ${token}` } });

  before(async () => {
    dir = tempDir("cloud");
    cloud = await StubCloud.start(
      options(dir, {
        capoAvailable: false,
        helmReleases: [
          { name: "cert-manager", namespace: "cert-manager" },
          { name: "cluster-api-addon-provider", namespace: "capi-addon-system" },
        ],
      }),
    );
  });

  after(async () => {
    await cloud?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("accepts TCP on the kubeconfig's server port", async () => {
    const port = Number(new URL(cloud.kubeServer).port);
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect(port, "127.0.0.1", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", reject);
    });
    assert.ok(cloud.kubeconfig().includes(`    server: ${cloud.kubeServer}\n`));
    assert.ok(cloud.kubeconfig().includes(`    token: ${cloud.kubeToken}\n`));
  });

  it("demands the bearer token", async () => {
    for (const res of [await get("/version", "wrong"), await fetch(`${cloud.kubeServer}/api`)]) {
      assert.strictEqual(res.status, 401);
      assert.deepStrictEqual(await res.json(), {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "Unauthorized",
        reason: "Unauthorized",
        code: 401,
      });
    }
    assert.strictEqual((await get("/version")).status, 200);
  });

  it("lists one helm release secret per release, by label selector", async () => {
    for (const selector of ["owner%3Dhelm", "owner=helm"]) {
      const res = await get(`/api/v1/secrets?labelSelector=${selector}`);
      assert.strictEqual(res.status, 200);
      const list = (await res.json()) as {
        kind: string;
        items: Array<{
          metadata: { name: string; namespace: string; labels: Record<string, string> };
          data: { release: string };
        }>;
      };
      assert.strictEqual(list.kind, "SecretList");
      assert.deepStrictEqual(
        list.items.map((i) => [i.metadata.name, i.metadata.namespace, i.metadata.labels]),
        [
          [
            "sh.helm.release.v1.cert-manager.v1",
            "cert-manager",
            { name: "cert-manager", owner: "helm", status: "deployed", version: "1" },
          ],
          [
            "sh.helm.release.v1.cluster-api-addon-provider.v1",
            "capi-addon-system",
            { name: "cluster-api-addon-provider", owner: "helm", status: "deployed", version: "1" },
          ],
        ],
      );
      const release = Buffer.from(Buffer.from(list.items[0].data.release, "base64").toString(), "base64");
      assert.strictEqual(
        (JSON.parse(gunzipSync(release).toString()) as { name: string }).name,
        "cert-manager",
      );
    }
    const none = (await (await get("/api/v1/secrets?labelSelector=owner%3Dsomeone")).json()) as {
      items: unknown[];
    };
    assert.deepStrictEqual(none.items, []);
  });

  it("serves CRDs from servedVersions, and 404s an absent one", async () => {
    const res = await get(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/openstackclusters.infrastructure.cluster.x-k8s.io",
    );
    assert.strictEqual(res.status, 200);
    const crd = (await res.json()) as {
      spec: { group: string; names: { kind: string; plural: string }; versions: unknown[] };
    };
    assert.strictEqual(crd.spec.group, "infrastructure.cluster.x-k8s.io");
    assert.deepStrictEqual(crd.spec.names.kind, "OpenStackCluster");
    assert.deepStrictEqual(crd.spec.names.plural, "openstackclusters");
    assert.deepStrictEqual(crd.spec.versions, SERVED["openstackclusters.infrastructure.cluster.x-k8s.io"]);

    await cloud.setServedVersions({
      "clusters.cluster.x-k8s.io": [{ name: "v1beta2", served: true, storage: true }],
    });
    const gone = await get(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/openstackclusters.infrastructure.cluster.x-k8s.io",
    );
    assert.strictEqual(gone.status, 404);
    assert.strictEqual(((await gone.json()) as { reason: string }).reason, "NotFound");
    const apis = (await (await get("/apis")).json()) as {
      groups: Array<{ name: string; versions: Array<{ version: string }> }>;
    };
    const capi = apis.groups.find((g) => g.name === "cluster.x-k8s.io");
    assert.deepStrictEqual(
      capi?.versions.map((v) => v.version),
      ["v1beta2"],
    );
  });

  it("reports the CAPO deployment's Available condition", async () => {
    const res = await get("/apis/apps/v1/namespaces/capo-system/deployments/capo-controller-manager");
    const dep = (await res.json()) as { status: { conditions: Array<{ type: string; status: string }> } };
    assert.deepStrictEqual(
      dep.status.conditions.filter((c) => c.type === "Available").map((c) => c.status),
      ["False"],
    );
  });
});
