import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { ConfigError, loadConfig } from "../../config";
import { runProgram } from "../harness/program";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "graft-config-"));
const kubeconfig = path.join(dir, "kc");
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln";
/** A kubeconfig as kubectl writes it: block YAML, the current context's cluster at mgmtApiHost:6443. */
const kubeconfigText = (server = "server: https://10.12.7.40:6443", ca = "") =>
  `apiVersion: v1
clusters:
- cluster:
    ${ca}${server}
  name: mgmt
contexts:
- context:
    cluster: mgmt
    user: admin
  name: admin@mgmt
current-context: admin@mgmt
users:
- name: admin
  user:
    token: ${TOKEN}
`;
fs.writeFileSync(kubeconfig, kubeconfigText());
const base: Record<string, string> = {
  conductors: JSON.stringify([{ unit: "magnum/0", address: "10.12.4.76" }]),
  mgmtProjectId: "674171fd28d446d3a37073b6a761e910",
  mgmtApiHost: "10.12.7.40",
  mgmtKubeconfigPath: kubeconfig,
};
const load = (extra: Record<string, string | undefined>) => loadConfig((k) => ({ ...base, ...extra })[k]);

/** The problems a config run reports; fails when it reports none. */
function problemsOf(extra: Record<string, string | undefined>): readonly string[] {
  try {
    load(extra);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(
      e.problems.every((p) => e.message.includes(p)),
      "every problem is in the message",
    );
    return e.problems;
  }
  assert.fail(`accepted ${JSON.stringify(extra)}`);
}

describe("configuration", () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("applies the defaults Pulumi.yaml declares", () => {
    const c = load({}) as unknown as Record<string, unknown>;
    const project = yaml.load(fs.readFileSync(path.resolve(__dirname, "../../../Pulumi.yaml"), "utf8")) as {
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
    ["restartApi", "yes"],
    ["conductorCredential", "cluster-admin"],
    ["credentialNamespace", "kube-system"],
    ["credentialNamespace", "default"],
    ["credentialNamespace", "magnum-0123456789abcdef0123456789abcdef"],
    ["credentialNamespace", "Magnum_Graft"],
    ["credentialRotationDays", "0"],
    ["credentialProjects", '["magnum-0123456789abcdef0123456789abcdef"]'],
    ["credentialProjects", '["0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"]'],
    ["transport", '{"kind": "direct", "port": 0}'],
    ["transport", '{"kind": "ssh"}'],
  ];
  for (const [key, value] of bad) {
    it(`rejects ${key} = ${value}, naming the key and the value, and nothing else`, () => {
      const problems = problemsOf({ [key]: value });
      assert.ok(problems.length > 0);
      for (const p of problems) {
        assert.match(p, new RegExp(`^magnum-capi-graft:${key}[.:[]`), p);
        assert.ok(p.includes("expected") && !p.includes("undefined"), p);
      }
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
          new RegExp(`^magnum-capi-graft:${key}(\\[1\\])?: expected`).test(e.message) &&
          e.message.includes("without user:password@") &&
          e.message.includes("https://***@") &&
          !e.message.includes("s3cr3t"),
      );
    });
  }

  describe("an OCI chart (helm_chart_name oci://..., helm_chart_repo empty, as the driver takes it)", () => {
    for (const ref of [
      "oci://registry.example:5000/capi/openstack-cluster",
      "oci://10.12.4.20/openstack-cluster",
      "oci://Registry-1.example.org/a.b/c__d/e-f/openstack-cluster",
    ]) {
      it(`accepts ${ref} with chartRepo ""`, () => {
        const c = load({ chartName: ref, chartRepo: "" });
        assert.equal(c.chartName, ref);
        assert.equal(c.chartRepo, "");
      });
    }

    for (const ref of [
      "oci://registry.example",
      "oci://registry.example/",
      "oci://registry.example/capi/",
      "oci://registry.example/capi//openstack-cluster",
      "oci://registry.example/Capi/openstack-cluster",
      "oci://registry.example/capi/open_stack",
      "oci://registry.example/openstack-cluster:0.25.1",
      "oci://registry.example/openstack-cluster@sha256:abc",
      "oci://registry.example:0/openstack-cluster",
      "oci://registry.example:070/openstack-cluster",
      "oci://registry.example:65536/openstack-cluster",
      "oci://-registry.example/openstack-cluster",
      "oci://[::1]:5000/openstack-cluster",
      "oci://registry.example/openstack-cluster?x=1",
      "oci://registry.example/openstack-cluster;reboot",
      "oci://registry.example/$(reboot)/openstack-cluster",
      "oci://registry.example/open stack",
      "oci:///openstack-cluster",
      "https://registry.example/openstack-cluster",
    ]) {
      it(`rejects chartName ${ref}, and only it`, () => {
        const problems = problemsOf({ chartName: ref, chartRepo: "" });
        assert.equal(problems.length, ref.startsWith("oci://") ? 1 : 2, problems.join("\n"));
        assert.match(
          problems[0],
          /^magnum-capi-graft:chartName: expected a chart name, or an OCI reference oci:\/\/host\[:port\]\/path\/chart/,
        );
      });
    }

    it("rejects credentials in the reference without echoing them", () => {
      const problems = problemsOf({
        chartName: "oci://ci:s3cr3t-T0ken@registry.example/openstack-cluster",
        chartRepo: "",
      });
      assert.equal(problems.length, 1);
      assert.match(
        problems[0],
        /^magnum-capi-graft:chartName: expected .*saw "oci:\/\/\*\*\*@registry\.example\/openstack-cluster"$/,
      );
      assert.doesNotMatch(problems[0], /s3cr3t/);
    });

    it('requires chartRepo to be set to "" explicitly: the driver would pass its default as --repo', () => {
      assert.deepEqual(problemsOf({ chartName: "oci://registry.example/capi/openstack-cluster" }), [
        'magnum-capi-graft:chartRepo: expected "" when chartName is an oci:// reference (the driver passes helm --repo ' +
          'whenever helm_chart_repo is set); saw "https://azimuth-cloud.github.io/capi-helm-charts"',
      ]);
    });

    it("points an oci:// chartRepo at chartName", () => {
      const [p] = problemsOf({ chartRepo: "oci://registry.example/capi" });
      assert.match(
        p,
        /^magnum-capi-graft:chartRepo: expected .*; for an OCI registry set chartName to oci:\/\/host\[:port\]\/path\/<chart> and chartRepo to ""/,
      );
    });

    it("still requires an http(s) chartRepo for a chart name", () => {
      assert.match(
        problemsOf({ chartRepo: "" })[0],
        /^magnum-capi-graft:chartRepo: expected an http\(s\) URL/,
      );
    });
  });

  it("rejects a kubeconfig whose server is not mgmtApiHost:mgmtApiPort, without echoing its content", () => {
    assert.deepEqual(problemsOf({ mgmtApiHost: "10.0.0.1" }), [
      "magnum-capi-graft:mgmtKubeconfigPath: expected a kubeconfig whose current context's server is " +
        `10.0.0.1:6443 (mgmtApiHost:mgmtApiPort); saw https://10.12.7.40:6443 (context "admin@mgmt" in ${kubeconfig})`,
    ]);
  });

  describe("the kubeconfig", () => {
    const withText = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return { mgmtKubeconfigPath: file };
    };
    const noSecret = (problems: readonly string[]) =>
      assert.ok(
        problems.every((p) => !p.includes(TOKEN)),
        "no token in the problems",
      );

    it("reads JSON, as kubectl config view -o json writes it", () => {
      const json = JSON.stringify(yaml.load(kubeconfigText()), null, 2);
      assert.equal(load(withText("kc.json", json)).mgmtKubeconfig, json);
    });

    it("reads a quoted server", () => {
      for (const q of [`"`, `'`])
        load(withText("kc-quoted", kubeconfigText(`server: ${q}https://10.12.7.40:6443${q}`)));
    });

    it("checks the current context's cluster, not any cluster the file names", () => {
      const two = (current: string) =>
        kubeconfigText()
          .replace(
            "current-context: admin@mgmt",
            `- context:\n    cluster: other\n    user: admin\n  name: admin@other\ncurrent-context: ${current}`,
          )
          .replace(
            "clusters:\n",
            "clusters:\n- cluster:\n    server: https://10.0.0.9:6443\n  name: other\n",
          );
      load(withText("kc-two", two("admin@mgmt")));
      const problems = problemsOf(withText("kc-two", two("admin@other")));
      assert.equal(problems.length, 1);
      assert.match(
        problems[0],
        /current context's server is 10\.12\.7\.40:6443 .*; saw https:\/\/10\.0\.0\.9:6443 \(context "admin@other"/,
      );
      assert.deepEqual(problemsOf(withText("kc-two", two("nobody"))), [
        'magnum-capi-graft:mgmtKubeconfigPath: kubeconfig contexts: expected an entry named "nobody" ' +
          `(current-context); saw "admin@mgmt", "admin@other" (in ${path.join(dir, "kc-two")})`,
      ]);
    });

    it("names a missing server, a missing current-context and a syntax error, and no secret", () => {
      const cases: [string, string, RegExp][] = [
        [
          "kc-no-server",
          kubeconfigText("insecure-skip-tls-verify: false"),
          /kubeconfig clusters\["mgmt"\]\.cluster\.server: expected an http\(s\) URL; saw none/,
        ],
        [
          "kc-no-context",
          kubeconfigText().replace("current-context: admin@mgmt\n", ""),
          /kubeconfig current-context: expected the name of the context to use; saw none/,
        ],
        [
          "kc-broken",
          kubeconfigText().replace(`    token: ${TOKEN}`, `  token: "${TOKEN}`),
          /kubeconfig file: expected YAML or JSON; saw a syntax error at line \d+, column \d+/,
        ],
      ];
      for (const [name, text, expected] of cases) {
        const problems = problemsOf(withText(name, text));
        assert.equal(problems.length, 1, name);
        assert.match(problems[0], expected);
        noSecret(problems);
      }
    });

    it("refuses credentials the conductors cannot use (admin), naming the kind only", () => {
      const exec = kubeconfigText().replace(`token: ${TOKEN}`, "exec:\n      command: kubelogin");
      assert.deepEqual(problemsOf(withText("kc-exec", exec)), [
        'magnum-capi-graft:mgmtKubeconfigPath: kubeconfig users["admin"].user: expected a token or a client ' +
          "certificate (conductorCredential admin hands this file to the conductors); saw exec plugin",
      ]);
      load({
        ...withText(
          "kc-exec",
          kubeconfigText("server: https://10.12.7.40:6443", "certificate-authority-data: Q0E=\n    ").replace(
            `token: ${TOKEN}`,
            "exec:\n      command: kubelogin",
          ),
        ),
        conductorCredential: "scoped",
      });
    });
  });

  it("reports every bad key of a stack in one run, each naming key, value and expectation", () => {
    const problems = problemsOf({
      mgmtProjectId: "capi-mgmt",
      conductors: JSON.stringify([{ unit: "magnum/0" }, { unit: "magnum/1", address: "10.12.4.300" }]),
      mgmtApiPort: "70000",
      destroyMode: "wipe",
      smokeTest: JSON.stringify({
        template: "t",
        keypair: "k",
        masterCount: 0,
        nodeCount: 1,
        timeoutMinutes: 5,
      }),
    });
    assert.deepEqual(problems, [
      "magnum-capi-graft:conductors[0].address: expected the unit's IPv4 provider address; saw nothing (not set)",
      'magnum-capi-graft:conductors[1].address: expected the unit\'s IPv4 provider address; saw "10.12.4.300"',
      'magnum-capi-graft:mgmtProjectId: expected a project id of 32 hex digits; saw "capi-mgmt"',
      'magnum-capi-graft:mgmtApiPort: expected an integer from 1 to 65535; saw "70000"',
      "magnum-capi-graft:smokeTest.masterCount: expected an integer from 1 to 7; saw 0",
      'magnum-capi-graft:destroyMode: expected rollback or remove; saw "wipe"',
    ]);
    assert.throws(
      () => load({ mgmtProjectId: "x", destroyMode: "wipe" }),
      (e: Error) => e.message.startsWith("magnum-capi-graft: 2 problems in the stack configuration:\n"),
    );
  });

  it("stops the program before it registers any resource", async () => {
    const registered: string[] = [];
    await assert.rejects(
      runProgram(
        { ...base, mgmtProjectId: "capi-mgmt", destroyMode: "wipe" },
        {
          newResource: async (r) => {
            registered.push(`${r.type} ${r.name}`);
            return { id: "", state: r.inputs };
          },
          call: async () => ({}),
        },
        { preview: true },
      ),
      (e: Error) => e.message.startsWith("magnum-capi-graft: 2 problems in the stack configuration:\n"),
    );
    assert.deepEqual(
      registered.filter((r) => !r.startsWith("pulumi:pulumi:Stack")),
      [],
    );
  });

  it('says "saw nothing (not set)" for a missing required key, never "saw undefined"', () => {
    const problems = problemsOf({ mgmtProjectId: undefined, mgmtApiHost: undefined, conductors: undefined });
    assert.deepEqual(problems, [
      `magnum-capi-graft:conductors: expected a non-empty array of {"unit": "magnum/0", "address": "<IPv4>"} with distinct units and addresses; saw nothing (not set)`,
      "magnum-capi-graft:mgmtProjectId: expected a project id of 32 hex digits; saw nothing (not set)",
      "magnum-capi-graft:mgmtApiHost: expected an IPv4 address or DNS name; saw nothing (not set)",
    ]);
  });

  it("reports two conductors with the same unit or address", () => {
    const twice = { unit: "magnum/0", address: "10.12.4.76" };
    assert.deepEqual(problemsOf({ conductors: JSON.stringify([twice, twice]) }), [
      'magnum-capi-graft:conductors[1].unit: expected a unit no earlier conductors entry has; saw "magnum/0"',
      'magnum-capi-graft:conductors[1].address: expected an address no earlier conductors entry has; saw "10.12.4.76"',
    ]);
  });

  describe("invalid JSON: the parser's position and a short excerpt, not the whole value", () => {
    const cases: [string, string, RegExp][] = [
      [
        "apiResources",
        '{"Cluster": {"api_version": "v1beta2",}}',
        /^magnum-capi-graft:apiResources: expected "auto" or a JSON object.*; saw invalid JSON at line 1, column 39 \(Expected double-quoted property name\): \.\.\.r": \{"api_version": "v1beta2",\} <-- here$/,
      ],
      [
        "apiResources",
        '{\n  "Cluster": {"api_version": "cluster.x-k8s.io/v1beta2"}\n  "Machine": {}\n}',
        /^magnum-capi-graft:apiResources: expected .*; saw invalid JSON at line 3, column 3 \(Expected ',' or '\}' after property value\): .*v1beta2"\} " <-- here/,
      ],
      [
        "apiResources",
        '{"Cluster": True}',
        /^magnum-capi-graft:apiResources: expected .*; saw invalid JSON at line 1, column 13 \(Unexpected token 'T'\): \{"Cluster": T <-- here/,
      ],
      [
        "conductors",
        '[{"unit": "magnum/0" "address": "10.12.4.76"}]',
        /^magnum-capi-graft:conductors: expected a non-empty array.*; saw invalid JSON at line 1, column 22 .*"magnum\/0" " <-- here$/,
      ],
      [
        "smokeTest",
        '{"template": "t"',
        /^magnum-capi-graft:smokeTest: expected .*; saw invalid JSON at line 1, column 17 /,
      ],
    ];
    for (const [key, value, expected] of cases) {
      it(`${key} = ${JSON.stringify(value)}`, () => {
        const problems = problemsOf({ [key]: value });
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], expected);
      });
    }

    it("keeps a long value out of the message", () => {
      const kinds = [
        "Cluster",
        "OpenstackCluster",
        "MachineDeployment",
        "Machine",
        "HelmRelease",
        "Manifests",
      ];
      const long = `{${kinds.map((k) => `"${k}": {"api_version": "x.k8s.io/v1beta2"}`).join(", ")},}`;
      assert.ok(long.length > 250);
      const [p] = problemsOf({ apiResources: long });
      assert.ok(p.length < 300 && !p.includes("OpenstackCluster") && p.includes("<-- here"), p);
    });
  });

  it("reads allowRemoveWithClusters as a boolean, false unless set", () => {
    assert.equal(load({}).allowRemoveWithClusters, false);
    assert.equal(load({ allowRemoveWithClusters: "true" }).allowRemoveWithClusters, true);
  });

  it("reads restartApi: auto unless set, or true or false", () => {
    assert.equal(load({}).restartApi, "auto");
    for (const v of ["auto", "true", "false"] as const) assert.equal(load({ restartApi: v }).restartApi, v);
    assert.deepEqual(problemsOf({ restartApi: "yes" }), [
      'magnum-capi-graft:restartApi: expected auto, true or false; saw "yes"',
    ]);
  });

  it("reads the scoped credential's settings", () => {
    const withCa = path.join(dir, "kc-ca");
    fs.writeFileSync(withCa, kubeconfigText(undefined, "certificate-authority-data: Q0E=\n    "));
    const c = load({
      mgmtKubeconfigPath: withCa,
      conductorCredential: "scoped",
      credentialNamespace: "conductor-creds",
      credentialRotationDays: "30",
      credentialProjects: '["0123456789abcdef0123456789abcdef"]',
    });
    assert.deepEqual(
      [c.conductorCredential, c.credentialNamespace, c.credentialRotationDays, c.credentialProjects],
      ["scoped", "conductor-creds", 30, ["0123456789abcdef0123456789abcdef"]],
    );
    assert.deepEqual(c.credentialImageAllowList, ["registry.k8s.io/autoscaling/cluster-autoscaler:"]);
    const mirrored = [
      "registry.example.com/autoscaling/cluster-autoscaler:",
      "registry.example.com/ca@sha256:",
    ];
    assert.deepEqual(
      load({ credentialImageAllowList: JSON.stringify(mirrored) }).credentialImageAllowList,
      mirrored,
    );
  });

  it("refuses an image prefix that could leave the policy's CEL string", () => {
    assert.deepEqual(problemsOf({ credentialImageAllowList: `["registry.k8s.io/x:", "a' || true || '"]` }), [
      "magnum-capi-graft:credentialImageAllowList[1]: expected an image reference prefix such as " +
        "registry.example.com/autoscaling/cluster-autoscaler:; saw \"a' || true || '\"",
    ]);
  });

  it("refuses scoped with a kubeconfig whose server has no inline CA, naming the key and no secret", () => {
    const problems = problemsOf({ conductorCredential: "scoped" });
    assert.deepEqual(problems, [
      "magnum-capi-graft:mgmtKubeconfigPath: kubeconfig certificate-authority-data: expected inline " +
        "certificate-authority-data for https://10.12.7.40:6443; saw none (conductorCredential scoped reads it)",
    ]);
  });

  it("accepts an explicit api_resources map", () => {
    const c = load({ apiResources: '{"Cluster": {"api_version": "cluster.x-k8s.io/v1beta2"}}' });
    assert.deepEqual(c.apiResources, { Cluster: { api_version: "cluster.x-k8s.io/v1beta2" } });
  });

  describe("transport", () => {
    const home = path.join(dir, "home");
    const key = path.join(home, ".local/share/juju/ssh/juju_id_rsa");
    const known = path.join(home, ".ssh/known_hosts");
    before(() => {
      for (const f of [key, known]) {
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, "", { mode: 0o600 });
      }
    });
    const transport = (t: Record<string, unknown>) =>
      loadConfig((k) => ({ ...base, jujuModel: "admin/openstack", transport: JSON.stringify(t) })[k], home)
        .transport;
    const problems = (t: Record<string, unknown>) => {
      try {
        transport(t);
      } catch (e) {
        return (e as ConfigError).problems;
      }
      return assert.fail(`accepted ${JSON.stringify(t)}`);
    };

    it("direct: user ubuntu, port 22, the juju client key and ~/.ssh/known_hosts unless given", () => {
      assert.deepEqual(transport({ kind: "direct" }), {
        kind: "direct",
        user: "ubuntu",
        port: 22,
        privateKeyPath: key,
        knownHostsPath: known,
      });
    });

    it("jumphost: host, user and key required; the model is jujuModel; port 22 by default", () => {
      assert.deepEqual(
        transport({
          kind: "jumphost",
          host: "jump.example.org",
          user: "ops",
          privateKeyPath: "~/.local/share/juju/ssh/juju_id_rsa",
        }),
        {
          kind: "jumphost",
          model: "admin/openstack",
          host: "jump.example.org",
          port: 22,
          user: "ops",
          privateKeyPath: key,
          knownHostsPath: known,
        },
      );
      assert.deepEqual(problems({ kind: "jumphost" }), [
        "magnum-capi-graft:transport.user: expected a login user name; saw nothing (not set)",
        "magnum-capi-graft:transport.privateKeyPath: expected a path to a readable private key file; saw nothing (not set)",
        "magnum-capi-graft:transport.host: expected the jumphost's IPv4 address or DNS name; saw nothing (not set)",
      ]);
    });

    it("jumphost: a SHA256 fingerprint instead of known_hosts, not both", () => {
      const fp = `SHA256:${"x".repeat(43)}`;
      const base = { kind: "jumphost", host: "10.0.0.9", port: 2222, user: "ops", privateKeyPath: key };
      assert.deepEqual(transport({ ...base, hostKeyFingerprint: fp }), {
        ...base,
        model: "admin/openstack",
        knownHostsPath: "",
        hostKeyFingerprint: fp,
      });
      assert.deepEqual(problems({ ...base, hostKeyFingerprint: "ab:cd", knownHostsPath: known }), [
        `magnum-capi-graft:transport.knownHostsPath: expected no value when hostKeyFingerprint is given (one or the other); saw ${JSON.stringify(known)}`,
        'magnum-capi-graft:transport.hostKeyFingerprint: expected SHA256:<43 base64 characters> as ssh-keygen -lf prints it; saw "ab:cd"',
      ]);
    });

    it("reports every bad value, unknown keys and unreadable files at once", () => {
      assert.deepEqual(
        problems({
          kind: "direct",
          host: "10.0.0.1",
          user: "Root;x",
          port: 22.5,
          knownHostsPath: "/nonexistent/kh",
        }),
        [
          'magnum-capi-graft:transport: expected only the keys kind, port, user, privateKeyPath, knownHostsPath for direct; saw ["host"]',
          "magnum-capi-graft:transport.port: expected an integer from 1 to 65535; saw 22.5",
          'magnum-capi-graft:transport.user: expected a login user name; saw "Root;x"',
          'magnum-capi-graft:transport.knownHostsPath: expected a readable known_hosts file (ENOENT); saw "/nonexistent/kh"',
        ],
      );
    });
  });
});
