import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { StubCloud } from "./cloud";
import { conductor, openstack, options, SERVED } from "./fixtures";
import { UnitStatus } from "./types";
import { tempDir } from "../unit/testSupport";

describe("stub cloud: Magnum via the real openstack CLI", function () {
  this.timeout(60_000);
  let dir: string;
  let cloud: StubCloud;
  let unitFile: string;
  let unit: { stop(): void } | undefined;

  const runAs = (status: Partial<UnitStatus>): void => {
    unit?.stop();
    unit = conductor(unitFile, status);
  };
  const health = async (
    name = "capi-test-1",
  ): Promise<{ health_status: string; health_status_reason: unknown }> => {
    const shown = await openstack(cloud, ["coe", "cluster", "show", name, "-f", "json"]);
    assert.strictEqual(shown.code, 0, shown.stderr);
    return JSON.parse(shown.stdout) as { health_status: string; health_status_reason: unknown };
  };
  const statusOf = async (name: string): Promise<string> =>
    (await openstack(cloud, ["coe", "cluster", "show", name, "-f", "value", "-c", "status"])).stdout.trim();

  // Long enough that the slow openstack CLI sees the *_IN_PROGRESS state on a loaded machine.
  const SETTLE_MS = 10_000;
  const waitForStatus = async (name: string, from: string): Promise<string> => {
    const until = Date.now() + SETTLE_MS + 15_000;
    let status = await statusOf(name);
    while (status === from && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      status = await statusOf(name);
    }
    return status;
  };

  before(async () => {
    dir = tempDir("cloud");
    unitFile = path.join(dir, "unit0.json");
    cloud = await StubCloud.start(
      options(dir, {
        clusters: [{ name: "capi-test-1" }],
        templates: ["capi-k8s-v1-32"],
        keypairs: ["capi-mgmt-key"],
        settleMs: SETTLE_MS,
      }),
    );
  });

  afterEach(() => {
    unit?.stop();
    unit = undefined;
  });

  after(async () => {
    await cloud?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reports UNKNOWN while no conductor runs the driver", async () => {
    const h = await health();
    assert.strictEqual(h.health_status, "UNKNOWN");
    assert.deepStrictEqual(h.health_status_reason, {
      conductor: "no conductor with the capi-helm driver is running",
    });
  });

  it("reports UNHEALTHY under 1.3.0 and HEALTHY under 1.4.0 with the code defaults", async () => {
    runAs({ driverVersion: "1.3.0", apiResources: null });
    const old = await openstack(cloud, [
      "coe",
      "cluster",
      "show",
      "capi-test-1",
      "-f",
      "value",
      "-c",
      "health_status",
    ]);
    assert.strictEqual(old.stdout.trim(), "UNHEALTHY");
    const reason = await openstack(cloud, [
      "coe",
      "cluster",
      "show",
      "capi-test-1",
      "-f",
      "value",
      "-c",
      "health_status_reason",
    ]);
    assert.strictEqual(reason.stdout.trim(), "{'infrastructure': 'Infrastructure resource not found.'}");

    runAs({ driverVersion: "1.4.0", apiResources: {} });
    const h = await health();
    assert.strictEqual(h.health_status, "HEALTHY");
    assert.deepStrictEqual(h.health_status_reason, {});
  });

  it("follows an api_resources override to a version the CRD does not serve", async () => {
    runAs({ apiResources: { Cluster: { api_version: "cluster.x-k8s.io/v1beta3" } } });
    assert.deepStrictEqual((await health()).health_status_reason, {
      api: "Cluster cluster.x-k8s.io/v1beta3 not served",
    });

    runAs({
      apiResources: { OpenstackCluster: { api_version: "infrastructure.cluster.x-k8s.io/v1alpha6" } },
    });
    assert.deepStrictEqual((await health()).health_status_reason, {
      infrastructure: "Infrastructure resource not found.",
    });
  });

  it("decides from served versions, which can change under it", async () => {
    runAs({ apiResources: {} });
    const onlyV1beta2 = [{ name: "v1beta2", served: true, storage: true }];
    await cloud.setServedVersions({ ...SERVED, "machinedeployments.cluster.x-k8s.io": onlyV1beta2 });
    const h = await health();
    assert.strictEqual(h.health_status, "UNHEALTHY");
    assert.deepStrictEqual(h.health_status_reason, {
      api: "MachineDeployment cluster.x-k8s.io/v1beta1 not served",
    });
    await cloud.setServedVersions(SERVED);
    assert.strictEqual((await health()).health_status, "HEALTHY");
  });

  it("treats a status file older than 3 s as a dead conductor", async () => {
    fs.writeFileSync(
      unitFile,
      JSON.stringify({ pid: 1, updatedAt: Date.now() - 4000, driverVersion: "1.4.0", apiResources: {} }),
    );
    assert.strictEqual((await health()).health_status, "UNKNOWN");
  });

  it("creates to CREATE_COMPLETE on a healthy 1.4.0 conductor, then deletes until gone", async () => {
    runAs({});
    const missing = await openstack(cloud, [
      "coe",
      "cluster",
      "create",
      "x",
      "--cluster-template",
      "nope",
      "--keypair",
      "capi-mgmt-key",
    ]);
    assert.match(missing.stderr, /ClusterTemplate nope could not be found\. \(HTTP 404\)/);

    const create = ["coe", "cluster", "create", "capi-fix-check", "--cluster-template", "capi-k8s-v1-32"];
    const created = await openstack(cloud, [
      ...create,
      "--keypair",
      "capi-mgmt-key",
      "--master-count",
      "1",
      "--node-count",
      "1",
    ]);
    assert.strictEqual(created.code, 0, created.stderr);
    assert.match(created.stdout, /Request to create cluster [0-9a-f-]{36} accepted/);
    assert.strictEqual(await statusOf("capi-fix-check"), "CREATE_IN_PROGRESS");
    assert.strictEqual(await waitForStatus("capi-fix-check", "CREATE_IN_PROGRESS"), "CREATE_COMPLETE");
    assert.strictEqual((await health("capi-fix-check")).health_status, "HEALTHY");

    const listed = await openstack(cloud, ["coe", "cluster", "list", "-f", "value", "-c", "name"]);
    assert.deepStrictEqual(listed.stdout.trim().split("\n").sort(), ["capi-fix-check", "capi-test-1"]);

    const deleted = await openstack(cloud, ["coe", "cluster", "delete", "capi-fix-check"]);
    assert.strictEqual(deleted.code, 0, deleted.stderr);
    assert.strictEqual(await statusOf("capi-fix-check"), "DELETE_IN_PROGRESS");
    assert.strictEqual(await waitForStatus("capi-fix-check", "DELETE_IN_PROGRESS"), "");
    const gone = await openstack(cloud, ["coe", "cluster", "show", "capi-fix-check"]);
    assert.notStrictEqual(gone.code, 0);
    assert.match(gone.stderr, /Cluster capi-fix-check could not be found\. \(HTTP 404\)/);
  });

  it("fails a create when the live conductor still runs 1.3.0", async () => {
    runAs({ driverVersion: "1.3.0" });
    const created = await openstack(cloud, [
      "coe",
      "cluster",
      "create",
      "capi-old",
      "--cluster-template",
      "capi-k8s-v1-32",
    ]);
    assert.strictEqual(created.code, 0, created.stderr);
    assert.strictEqual(await waitForStatus("capi-old", "CREATE_IN_PROGRESS"), "CREATE_FAILED");
    const shown = await openstack(cloud, [
      "coe",
      "cluster",
      "show",
      "capi-old",
      "-f",
      "value",
      "-c",
      "status",
      "-c",
      "status_reason",
    ]);
    assert.deepStrictEqual(shown.stdout.trim().split("\n"), [
      "CREATE_FAILED",
      "Infrastructure resource not found.",
    ]);
  });

  it("keeps clusters in their project: the admin scope does not see them", async () => {
    const asAdmin = await openstack(cloud, ["coe", "cluster", "show", "capi-test-1"], { scope: "admin" });
    assert.match(asAdmin.stderr, /Cluster capi-test-1 could not be found/);
  });
});
