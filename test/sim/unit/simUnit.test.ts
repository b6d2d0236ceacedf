import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import { Artifacts, ArtifactServer } from "./artifacts";
import { isAlive, run } from "./processes";
import { SimUnit } from "./simUnit";
import { readIfExists, removeDir, sharedArtifacts, tempDir, waitFor } from "./testSupport";

const APPEND = 'DAEMON_ARGS="$DAEMON_ARGS --config-dir /etc/magnum/magnum.conf.d"\n';

async function ok(unit: SimUnit, script: string, user: "root" | "ubuntu" = "ubuntu"): Promise<string> {
  const r = await unit.sh(script, { user });
  assert.strictEqual(r.code, 0, `${script} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

describe("SimUnit: a fresh charm-managed conductor", function () {
  let artifacts: Artifacts;
  let server: ArtifactServer;
  let unit: SimUnit;
  let dir: string;
  const hostEtcPasswd = crypto.createHash("sha256").update(fs.readFileSync("/etc/passwd")).digest("hex");

  before(async function () {
    // The first run on a machine fetches the python stack from PyPI (about a minute).
    this.timeout(600_000);
    artifacts = await sharedArtifacts();
    server = await ArtifactServer.start(artifacts);
    dir = tempDir("unit");
    unit = await SimUnit.start({
      unit: "magnum/0",
      address: "10.12.4.76",
      machine: "1/lxd/2",
      workDir: dir,
      artifacts,
    });
  });

  after(async function () {
    await unit?.stop();
    await server?.stop();
    removeDir(dir);
  });

  it("keeps its users and files out of the host's /etc and /tmp", async function () {
    await ok(unit, "touch /etc/sim-marker /tmp/sim-marker /usr/local/bin/sim-marker", "root");
    for (const p of ["/etc/sim-marker", "/tmp/sim-marker", "/usr/local/bin/sim-marker"]) {
      assert.ok(!fs.existsSync(p), `${p} leaked to the host`);
    }
    assert.match(
      await ok(unit, "getent passwd magnum ubuntu"),
      /^magnum:.*:\/usr\/sbin\/nologin\nubuntu:.*:\/bin\/bash\n$/,
    );
    assert.strictEqual(
      crypto.createHash("sha256").update(fs.readFileSync("/etc/passwd")).digest("hex"),
      hostEtcPasswd,
    );
    assert.strictEqual((await ok(unit, "hostname")).trim(), "juju-7f3a21-1-lxd-2");
  });

  it("has charm-like /etc/magnum that ubuntu can read only through sudo", async function () {
    assert.deepStrictEqual(await unit.stat("/etc/magnum"), { mode: "0750", owner: "root", group: "magnum" });
    assert.deepStrictEqual(await unit.stat("/etc/magnum/magnum.conf"), {
      mode: "0640",
      owner: "root",
      group: "magnum",
    });
    const denied = await unit.sh("cat /etc/magnum/magnum.conf", { user: "ubuntu" });
    assert.notStrictEqual(denied.code, 0);
    assert.match(denied.stderr, /Permission denied/);
    const conf = await ok(unit, "sudo cat /etc/magnum/magnum.conf");
    assert.match(
      conf,
      /\[DEFAULT\][\s\S]*\[database\][\s\S]*\[trust\]\ntrustee_domain_name = magnum\ntrustee_domain_admin_name = magnum_domain_admin\ntrustee_domain_admin_password = \S+/,
    );
    assert.strictEqual(await unit.stat("/etc/magnum/magnum.conf.d"), undefined);
    assert.strictEqual(await unit.readFile("/etc/default/magnum-conductor"), undefined);
    assert.notStrictEqual((await unit.sh("command -v helm", { user: "ubuntu" })).code, 0);
  });

  it("runs the daemon as magnum from start-up, visible to ps -C", async function () {
    assert.strictEqual((await ok(unit, "systemctl is-active magnum-conductor")).trim(), "active");
    assert.strictEqual((await ok(unit, "systemctl show magnum-conductor -p User --value")).trim(), "magnum");
    const ps = await ok(unit, "ps -ww -C magnum-conductor -o user=,args=");
    assert.match(
      ps,
      /^magnum +\S*python3 \/usr\/local\/bin\/magnum-conductor --config-file=\/etc\/magnum\/magnum.conf/,
    );
    const status = JSON.parse(await waitFor("status file", () => readIfExists(unit.statusFile)));
    assert.strictEqual(status.pid, await unit.daemonPid());
    assert.strictEqual(status.driverVersion, null);
  });

  it("resolves python3 and sudo python3 to one venv that pip installs into from the served index", async function () {
    const prefix = (await ok(unit, 'python3 -c "import sys; print(sys.prefix)"')).trim();
    assert.strictEqual((await ok(unit, 'sudo python3 -c "import sys; print(sys.prefix)"')).trim(), prefix);
    assert.notStrictEqual(prefix, "/usr");
    await ok(
      unit,
      `sudo python3 -m pip install --no-deps --index-url ${server.indexUrl()} "magnum-capi-helm==1.4.0"`,
    );
    const shown = await ok(unit, "pip show magnum-capi-helm");
    assert.match(shown, /^Version: 1\.4\.0$/m);
    assert.match(
      shown,
      /^Summary: OpenStack Magnum driver using helm to create k8s clusters with Cluster API\.$/m,
    );
    assert.match(shown, /^Requires: magnum, oslo_log, oslo_utils, pbr$/m);
    assert.match(await ok(unit, "pip show magnum"), /^Version: 23\.0\.0$/m);
    // The pinned stack satisfies what magnum and the released driver declare they need.
    assert.strictEqual(await ok(unit, "python3 -m pip check"), "No broken requirements found.\n");
    const eps =
      "import importlib.metadata as m; print([e.name for e in m.entry_points(group='magnum.drivers')])";
    assert.match(await ok(unit, `python3 -c "${eps}"`), /k8s_capi_helm_v1/);
    const onHost = await run("/usr/bin/python3", ["-c", "import magnum_capi_helm"]);
    assert.notStrictEqual(onHost.code, 0, "the driver leaked into the host python");
    await ok(unit, "sudo python3 -m pip uninstall -y magnum-capi-helm");
    assert.notStrictEqual((await unit.sh("pip show magnum-capi-helm", { user: "ubuntu" })).code, 0);
  });

  it("assembles DAEMON_ARGS before sourcing /etc/default, like openstack-pkg-tools", async function () {
    const showArgs = "/etc/init.d/magnum-conductor show-args";
    assert.doesNotMatch(await ok(unit, showArgs), /--config-dir/);
    await unit.writeFile("/etc/default/magnum-conductor", APPEND);
    const appended = await ok(unit, showArgs);
    assert.match(
      appended,
      /--config-file=\/etc\/magnum\/magnum.conf .*--config-dir \/etc\/magnum\/magnum.conf.d/,
    );
    await unit.writeFile(
      "/etc/default/magnum-conductor",
      'DAEMON_ARGS="--config-dir /etc/magnum/magnum.conf.d"\n',
    );
    assert.doesNotMatch(await ok(unit, showArgs), /--config-file/);
    await unit.writeFile("/etc/default/magnum-conductor", 'DAEMON_ARGS="$DAEMON_ARGS\n if then\n');
    assert.notStrictEqual((await unit.sh(showArgs, { user: "ubuntu" })).code, 0);
    await unit.writeFile("/etc/default/magnum-conductor", APPEND);
  });

  it("restarts like Type=simple and fails on api_resources that is not a JSON object", async function () {
    this.timeout(60000);
    const denied = await unit.sh("systemctl restart magnum-conductor", { user: "ubuntu" });
    assert.notStrictEqual(denied.code, 0);
    await ok(
      unit,
      `sudo python3 -m pip install -q --no-deps --index-url ${server.indexUrl()} magnum-capi-helm==1.4.0`,
    );
    await ok(unit, "sudo mkdir -p /etc/magnum/magnum.conf.d");
    const dropIn =
      "[capi_helm]\nkubeconfig_file = /etc/magnum/kubeconfig\ndefault_helm_chart_version = 0.25.1\napi_resources = {}\n";
    await unit.writeFile("/etc/magnum/magnum.conf.d/00-capi-helm.conf", dropIn);
    await ok(unit, "sudo systemctl restart magnum-conductor");
    assert.ok(!fs.existsSync(unit.statusFile), "restart waited for the daemon to finish starting");
    await waitFor("a fresh status file", async () => (fs.existsSync(unit.statusFile) ? true : undefined));
    const status = JSON.parse(fs.readFileSync(unit.statusFile, "utf8"));
    assert.deepStrictEqual(
      { ...status, pid: 0, updatedAt: 0 },
      {
        pid: 0,
        updatedAt: 0,
        driverVersion: "1.4.0",
        apiResources: {},
        configDirs: ["/etc/magnum/magnum.conf.d"],
        kubeconfigFile: "/etc/magnum/kubeconfig",
        helmChartVersion: "0.25.1",
      },
    );
    assert.ok(Date.now() - status.updatedAt < 3000);
    assert.strictEqual((await ok(unit, "systemctl is-active magnum-conductor")).trim(), "active");
    assert.match(
      await ok(unit, "ps -ww -C magnum-conductor -o args="),
      /--config-dir \/etc\/magnum\/magnum.conf.d/,
    );
    assert.match(
      await ok(unit, "sudo magnum-driver-manage list-drivers"),
      /^\+-+\+\n\| Name +\|\n\+-+\+\n\| k8s_capi_helm_v1 \|\n\+-+\+\n$/,
    );

    await unit.writeFile(
      "/etc/magnum/magnum.conf.d/00-capi-helm.conf",
      dropIn.replace("{}", '{"Cluster": {},}'),
    );
    await ok(unit, "sudo systemctl restart magnum-conductor");
    const failed = await waitFor("is-active failed", async () => {
      const r = await unit.sh("systemctl is-active magnum-conductor", { user: "ubuntu" });
      return r.stdout.trim() === "failed" ? r : undefined;
    });
    assert.notStrictEqual(failed.code, 0);
    assert.ok(!fs.existsSync(unit.statusFile));
    assert.strictEqual(await unit.daemonPid(), undefined);
    const list = await unit.sh("sudo magnum-driver-manage list-drivers", { user: "ubuntu" });
    assert.notStrictEqual(list.code, 0);
    // cliff prints the exception's message; the conductor's oslo.log excepthook logs its type too.
    assert.match(list.stderr, /Expecting property name enclosed in double quotes/);
    assert.match(
      (await unit.readFile("/var/log/magnum/magnum-conductor.log"))?.toString() ?? "",
      /CRITICAL magnum \[-\] Unhandled error: json\.decoder\.JSONDecodeError: Expecting property name/,
    );

    // Valid JSON that is not an object stops the released driver too: its resource classes call .get on it.
    await unit.writeFile("/etc/magnum/magnum.conf.d/00-capi-helm.conf", dropIn.replace("{}", "[]"));
    await ok(unit, "sudo systemctl restart magnum-conductor");
    await waitFor("the conductor to fail on a JSON list", async () =>
      /Unhandled error: AttributeError: 'list' object has no attribute 'get'/.test(
        (await unit.readFile("/var/log/magnum/magnum-conductor.log"))?.toString() ?? "",
      )
        ? true
        : undefined,
    );
    const listed = await unit.sh("sudo magnum-driver-manage list-drivers", { user: "ubuntu" });
    assert.notStrictEqual(listed.code, 0);
    assert.match(listed.stderr, /'list' object has no attribute 'get'/);
  });

  it("downloads a helm tarball whose sha256 matches and whose helm lists releases", async function () {
    const v = "v3.17.3";
    const out = await ok(
      unit,
      `cd /tmp && curl -fsSLO ${server.helmUrl(v)} && sha256sum helm-${v}-linux-amd64.tar.gz`,
    );
    assert.strictEqual(out.split(" ")[0], artifacts.helmTarballs[v].sha256);
    await ok(
      unit,
      `cd /tmp && tar -xzf helm-${v}-linux-amd64.tar.gz && sudo install -m 0755 linux-amd64/helm /usr/local/bin/helm`,
    );
    assert.strictEqual((await ok(unit, "helm version --short")).trim(), "v3.17.3+gabc1234");
  });
});

describe("SimUnit: options and teardown", function () {
  let unit: SimUnit;
  let dir: string;

  before(async function () {
    // The first run on a machine fetches the python stack from PyPI (about a minute).
    this.timeout(600_000);
    dir = tempDir("unit-opts");
    unit = await SimUnit.start({
      unit: "magnum/1",
      address: "10.12.4.77",
      machine: "2/lxd/3",
      workDir: dir,
      artifacts: await sharedArtifacts(),
      trust: { form: "id", password: "" },
      preinstalledDriver: "1.3.0",
      preinstalledHelm: "v3.16.0",
      etcDefault: APPEND,
    });
  });

  after(async function () {
    await unit?.stop();
    removeDir(dir);
  });

  it("applies trust form, driver, helm and /etc/default options", async function () {
    const conf = (await unit.readFile("/etc/magnum/magnum.conf"))?.toString() ?? "";
    assert.match(
      conf,
      /trustee_domain_id = \w+\ntrustee_domain_admin_id = \w+\ntrustee_domain_admin_password = \n/,
    );
    assert.strictEqual((await ok(unit, "helm version --short")).trim(), "v3.16.0+gabc1234");
    // oslo.config refuses a --config-dir that does not exist, so the appended default kills the daemon.
    await waitFor("is-active failed", async () =>
      (await ok(unit, "systemctl is-active magnum-conductor || true")).trim() === "failed" ? true : undefined,
    );
    await ok(unit, "sudo mkdir /etc/magnum/magnum.conf.d && sudo systemctl restart magnum-conductor");
    assert.match(
      await ok(unit, "ps -ww -C magnum-conductor -o args="),
      /--config-dir \/etc\/magnum\/magnum.conf.d/,
    );
    const status = JSON.parse(await waitFor("status file", () => readIfExists(unit.statusFile)));
    assert.strictEqual(status.driverVersion, "1.3.0");
    assert.strictEqual(await ok(unit, "python3 -m pip check"), "No broken requirements found.\n");
    assert.strictEqual(status.apiResources, null);
    assert.strictEqual(status.helmChartVersion, "0.10.1");
    // The released 1.3.0 has no api_resources option, so a value it cannot parse does not stop it loading.
    await unit.writeFile("/etc/magnum/magnum.conf.d/00-capi-helm.conf", "[capi_helm]\napi_resources = {,}\n");
    await ok(unit, "sudo systemctl restart magnum-conductor");
    assert.match(await ok(unit, "sudo magnum-driver-manage list-drivers"), /\| k8s_capi_helm_v1 \|/);
    const restarted = await waitFor("a fresh status file", async () => {
      const s = await readIfExists(unit.statusFile);
      return s && JSON.parse(s).pid !== status.pid ? JSON.parse(s) : undefined;
    });
    assert.strictEqual(restarted.driverVersion, "1.3.0");
  });

  it("stops every process of the unit and is idempotent", async function () {
    const pid = unit.pid;
    await unit.stop();
    await unit.stop();
    assert.ok(!isAlive(pid));
    assert.doesNotMatch(fs.readFileSync("/proc/mounts", "utf8"), new RegExp(dir));
  });
});
