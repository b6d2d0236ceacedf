import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { loadConfig } from "../config";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "graft-config-"));
const kubeconfig = path.join(dir, "kc");
fs.writeFileSync(kubeconfig, "clusters:\n- cluster:\n    server: https://10.12.7.40:6443\n");
const base: Record<string, string> = {
  conductors: JSON.stringify([{ unit: "magnum/0", address: "10.12.4.76" }]),
  mgmtProjectId: "674171fd28d446d3a37073b6a761e910",
  mgmtApiHost: "10.12.7.40",
  mgmtKubeconfigPath: kubeconfig,
};
const load = (extra: Record<string, string>) => loadConfig((k) => ({ ...base, ...extra })[k]);

describe("configuration", () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("applies the defaults Pulumi.yaml declares", () => {
    const c = load({}) as unknown as Record<string, unknown>;
    const project = yaml.load(fs.readFileSync(path.resolve(__dirname, "../../Pulumi.yaml"), "utf8")) as {
      config: Record<string, { default?: unknown }>;
    };
    for (const [key, decl] of Object.entries(project.config)) {
      if (decl.default === undefined || decl.default === "" || key === "mgmtKubeconfigPath") continue;
      assert.deepEqual(c[key], decl.default, key);
    }
    assert.equal(c.helmTarballUrl, "https://get.helm.sh/helm-v3.17.3-linux-amd64.tar.gz");
  });

  const bad: [string, string][] = [
    ["jujuModel", "Open Stack"],
    ["conductors", "[]"],
    ["conductors", JSON.stringify([{ unit: "magnum/0; reboot", address: "10.12.4.76" }])],
    ["conductors", JSON.stringify([{ unit: "magnum/0", address: "10.12.4.300" }])],
    ["mgmtProjectId", "capi-mgmt"],
    ["mgmtSecurityGroup", "sg$(x)"],
    ["mgmtApiHost", "10.12.7.40;x"],
    ["mgmtApiPort", "70000"],
    ["mgmtKubeconfigPath", path.join(dir, "missing")],
    ["driverVersion", "1.4.0; reboot"],
    ["rollbackDriverVersion", "latest"],
    ["pipIndexUrl", "ftp://mirror/simple"],
    ["helmVersion", "3.17.3"],
    ["helmTarballUrl", "not a url"],
    ["helmTarballSha256", "abc"],
    ["chartRepo", "file:///x"],
    ["chartName", "Open Stack"],
    ["chartVersion", "latest"],
    ["apiResources", '{"Cluster": {"api_version": "v1beta2",}}'],
    ["apiResources", '{"Nope": {"api_version": "cluster.x-k8s.io/v1beta2"}}'],
    ["expectedHelmReleases", '["Bad Name"]'],
    ["egressCheckUrls", '["pypi.org"]'],
    ["healthCheckCluster", "bad name"],
    ["healthPollAttempts", "0"],
    ["healthPollIntervalSeconds", "1.5"],
    ["smokeTest", '{"template": "t"}'],
    ["destroyMode", "wipe"],
    ["allowRemoveWithClusters", "yes"],
    ["transport", '{"kind": "direct"}'],
  ];
  for (const [key, value] of bad) {
    it(`rejects ${key} = ${value}, naming the key and the value`, () => {
      assert.throws(
        () => load({ [key]: value }),
        (e: Error) => e.message.startsWith(`magnum-capi-graft:${key}`) && e.message.includes("expected"),
      );
    });
  }

  for (const [key, value] of [
    ["pipIndexUrl", "https://ci:s3cr3t-T0ken@pypi.example.org/simple"],
    ["helmTarballUrl", "https://ci:s3cr3t-T0ken@mirror.example.org/helm.tar.gz"],
    ["chartRepo", "https://ci:s3cr3t-T0ken@charts.example.org/"],
    ["egressCheckUrls", '["https://pypi.org/simple/", "https://ci:s3cr3t-T0ken@mirror.example.org/"]'],
  ]) {
    it(`rejects credentials in ${key}, naming the URL without the password`, () => {
      assert.throws(
        () => load({ [key]: value }),
        (e: Error) =>
          e.message.startsWith(`magnum-capi-graft:${key}: expected`) &&
          e.message.includes("without user:password@") &&
          e.message.includes("https://***@") &&
          !e.message.includes("s3cr3t"),
      );
    });
  }

  it("rejects a kubeconfig whose server is not mgmtApiHost:mgmtApiPort, without echoing its content", () => {
    assert.throws(() => load({ mgmtApiHost: "10.0.0.1" }), /its servers are https:\/\/10\.12\.7\.40:6443/);
  });

  it("reads allowRemoveWithClusters as a boolean, false unless set", () => {
    assert.equal(load({}).allowRemoveWithClusters, false);
    assert.equal(load({ allowRemoveWithClusters: "true" }).allowRemoveWithClusters, true);
  });

  it("accepts an explicit api_resources map", () => {
    const c = load({ apiResources: '{"Cluster": {"api_version": "cluster.x-k8s.io/v1beta2"}}' });
    assert.deepEqual(c.apiResources, { Cluster: { api_version: "cluster.x-k8s.io/v1beta2" } });
  });
});
