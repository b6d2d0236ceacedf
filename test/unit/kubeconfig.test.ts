import { strict as assert } from "assert";
import { readKubeconfig } from "../../core/kubeconfig";

const KEY = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tc2VjcmV0LWtleQ==";
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln";

const config = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  clusters: [
    { name: "other", cluster: { server: "https://10.0.0.9:6443" } },
    { name: "mgmt", cluster: { server: "https://10.12.7.40:6443", ...cluster } },
  ],
  contexts: [
    { name: "admin@other", context: { cluster: "other", user: "admin" } },
    { name: "admin@mgmt", context: { cluster: "mgmt", user: "admin" } },
  ],
  "current-context": "admin@mgmt",
  users: [{ name: "admin", user }],
});

describe("kubeconfig reader", () => {
  it("reads the current context's cluster and user, from JSON and from flow-style YAML", () => {
    const json = JSON.stringify(config({ token: TOKEN }, { "certificate-authority-data": "Q0E=" }));
    for (const text of [json, json.replace(/"(current-context|server)":/g, "$1: ")]) {
      assert.deepEqual(readKubeconfig(text), {
        context: "admin@mgmt",
        server: "https://10.12.7.40:6443",
        certificateAuthorityData: "Q0E=",
        certificateAuthorityFile: false,
        insecureSkipTlsVerify: false,
        user: "admin",
        credentials: "token",
      });
    }
  });

  it("names the kind of credentials, never their value", () => {
    const kinds: [Record<string, unknown>, string][] = [
      [{ tokenFile: "/run/token" }, "token"],
      [{ "client-certificate-data": "Q0VSVA==", "client-key-data": KEY }, "client certificate"],
      [{ "client-certificate-data": "Q0VSVA==" }, "none"],
      [{ exec: { command: "kubelogin" } }, "exec plugin"],
      [{ "auth-provider": { name: "oidc" } }, "auth-provider plugin"],
      [{ username: "u", password: "p" }, "basic auth"],
      [{}, "none"],
    ];
    for (const [user, kind] of kinds)
      assert.equal(readKubeconfig(JSON.stringify(config(user))).credentials, kind);
  });

  it("says which key is wrong, what it expected and what it saw, and shows no credential", () => {
    const base = config({ token: TOKEN, "client-key-data": KEY });
    const cases: [unknown, RegExp][] = [
      [
        { ...base, "current-context": "" },
        /^kubeconfig current-context: expected the name of the context to use; saw none$/,
      ],
      [{ ...base, "current-context": 7 }, /saw a number$/],
      [
        { ...base, clusters: [base.clusters[0]] },
        /^kubeconfig clusters: expected an entry named "mgmt" \(context "admin@mgmt"\); saw "other"$/,
      ],
      [
        { ...base, users: [] },
        /^kubeconfig users: expected an entry named "admin" \(context "admin@mgmt"\); saw none$/,
      ],
      [
        config({}, { server: "10.12.7.40:6443" }),
        /^kubeconfig clusters\["mgmt"\]\.cluster\.server: expected an http\(s\) URL; saw "10\.12\.7\.40:6443"$/,
      ],
      [
        config({}, { server: { url: KEY } }),
        /^kubeconfig clusters\["mgmt"\]\.cluster\.server: expected an http\(s\) URL; saw a mapping$/,
      ],
      [[base], /^kubeconfig file: expected a mapping of clusters, contexts and users; saw a list$/],
    ];
    for (const [doc, expected] of cases) {
      assert.throws(
        () => readKubeconfig(JSON.stringify(doc)),
        (e: Error) => expected.test(e.message) && !e.message.includes(TOKEN) && !e.message.includes(KEY),
        JSON.stringify(doc).slice(0, 80),
      );
    }
    const broken = `users:\n- name: admin\n  user:\n    token: "${TOKEN}\n`;
    assert.throws(
      () => readKubeconfig(broken),
      (e: Error) =>
        /^kubeconfig file: expected YAML or JSON; saw a syntax error at line \d+, column \d+$/.test(
          e.message,
        ) && !e.message.includes(TOKEN),
    );
  });
});
