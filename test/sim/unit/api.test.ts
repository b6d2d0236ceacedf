import { strict as assert } from "assert";
import { CAPI_TYPE, HEAT_TYPE, NOT_SUPPORTED, apiLoaded, apiPid, resolve } from "./api";
import { Artifacts, ArtifactServer } from "./artifacts";
import { SimUnit } from "./simUnit";
import { removeDir, sharedArtifacts, tempDir } from "./testSupport";

// The simulated magnum-api caches the driver list per process exactly as magnum's Driver does: the
// ground the restart's tests stand on.

describe("SimUnit: magnum-api beside the conductor", function () {
  this.timeout(300_000);
  let artifacts: Artifacts;
  let server: ArtifactServer;
  const started: Array<{ unit: SimUnit; dir: string }> = [];

  async function unit(spec: { api?: boolean; preGraftDriver?: boolean }): Promise<SimUnit> {
    const dir = tempDir("api");
    const u = await SimUnit.start({
      unit: `magnum/${started.length}`,
      address: `10.12.4.${76 + started.length}`,
      machine: `1/lxd/${2 + started.length}`,
      workDir: dir,
      artifacts,
      ...spec,
    });
    started.push({ unit: u, dir });
    return u;
  }

  before(async function () {
    this.timeout(600_000);
    artifacts = await sharedArtifacts();
    server = await ArtifactServer.start(artifacts);
  });
  after(async () => {
    for (const s of started) {
      await s.unit.stop();
      removeDir(s.dir);
    }
    await server?.stop();
  });

  it("keeps the driver list it resolved first until it restarts, as magnum's Driver.definitions does", async () => {
    const u = await unit({ preGraftDriver: true });
    assert.deepEqual((await apiLoaded(u)).drivers, { k8s_fedora_coreos_v1: "1.0" });
    assert.equal((await resolve(u, HEAT_TYPE)).driver, "k8s_fedora_coreos_v1");
    const pip = await u.sh(
      `python3 -m pip install -q --no-deps --disable-pip-version-check --root-user-action=ignore --index-url ${server.indexUrl()} magnum-capi-helm==1.4.0`,
      { user: "root" },
    );
    assert.equal(pip.code, 0, pip.stderr);
    assert.match(String((await resolve(u, CAPI_TYPE)).error), NOT_SUPPORTED);
    const before = await apiPid(u);
    assert.equal((await u.sh("systemctl restart magnum-api", { user: "root" })).code, 0);
    const after = await resolve(u, CAPI_TYPE);
    assert.notEqual(after.pid, before);
    assert.equal(after.driver, "k8s_capi_helm_v1");
  });

  it("is absent where the unit runs no API", async () => {
    const u = await unit({ api: false });
    assert.equal((await u.sh("systemctl show magnum-api -p LoadState --value")).stdout.trim(), "not-found");
    assert.equal(await apiPid(u), undefined);
  });
});
