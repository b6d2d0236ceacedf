import { strict as assert } from "assert";
import { tokenKubeconfig } from "../../components/credentialKubeconfig";
import { apiEndpoint } from "../../core/kubeconfig";

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");
const TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2ln";
const SECRET_KEY = "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tc2VjcmV0LWtleQ==";

/** An admin kubeconfig as kubectl writes it: another cluster first, a client certificate for the user. */
const ADMIN = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: T1RIRVI=
    server: https://10.0.0.9:6443
  name: other
- cluster:
    certificate-authority-data: "${CA}"
    server: https://10.12.7.40:6443
  name: capi-mgmt
contexts:
- context:
    cluster: capi-mgmt
    user: capi-mgmt-admin
  name: capi-mgmt-admin@capi-mgmt
current-context: capi-mgmt-admin@capi-mgmt
kind: Config
users:
- name: capi-mgmt-admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: ${SECRET_KEY}
`;

describe("credential kubeconfig", () => {
  it("takes the server and CA of the admin kubeconfig's current context at mgmtApiHost:mgmtApiPort", () => {
    assert.deepEqual(apiEndpoint(ADMIN, "10.12.7.40", 6443), {
      server: "https://10.12.7.40:6443",
      certificateAuthorityData: CA,
    });
  });

  it("refuses a server it cannot verify, naming what is missing and no value of the file", () => {
    const cases: Array<[string, RegExp]> = [
      [
        ADMIN.replace(`"${CA}"`, ""),
        /certificate-authority-data: expected inline certificate-authority-data for https:\/\/10\.12\.7\.40:6443; saw none/,
      ],
      [
        ADMIN.replace(`certificate-authority-data: "${CA}"`, "certificate-authority: /etc/ca.crt"),
        /saw a certificate-authority file/,
      ],
      [
        ADMIN.replace(`certificate-authority-data: "${CA}"`, "insecure-skip-tls-verify: true"),
        /saw insecure-skip-tls-verify/,
      ],
    ];
    for (const [kubeconfig, expected] of cases) {
      assert.throws(
        () => apiEndpoint(kubeconfig, "10.12.7.40", 6443),
        (e: Error) => expected.test(e.message) && !e.message.includes(SECRET_KEY),
      );
    }
    // The other cluster is at 10.0.0.9, but the current context is what a client uses.
    assert.throws(
      () => apiEndpoint(ADMIN, "10.0.0.9", 6443),
      /server: expected 10\.0\.0\.9:6443 in the current context; saw "https:\/\/10\.12\.7\.40:6443"/,
    );
  });

  it("writes block YAML with the server, the CA and the token, and one context using them", () => {
    const k = tokenKubeconfig({ server: "https://10.12.7.40:6443", certificateAuthorityData: CA }, TOKEN);
    assert.equal(
      k,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: mgmt",
        "  cluster:",
        "    server: https://10.12.7.40:6443",
        `    certificate-authority-data: ${CA}`,
        "users:",
        "- name: magnum-conductor",
        "  user:",
        `    token: ${TOKEN}`,
        "contexts:",
        "- name: mgmt",
        "  context:",
        "    cluster: mgmt",
        "    user: magnum-conductor",
        "current-context: mgmt",
        "",
      ].join("\n"),
    );
    // Read back through the same parser: the kubeconfig names its own server and CA.
    assert.deepEqual(apiEndpoint(k, "10.12.7.40", 6443).certificateAuthorityData, CA);
  });

  it("refuses a token that is not a JWT, without echoing it", () => {
    assert.throws(
      () => tokenKubeconfig({ server: "https://a:1", certificateAuthorityData: CA }, "abc\n  user: evil"),
      (e: Error) => /expected a service-account token/.test(e.message) && !e.message.includes("evil"),
    );
  });
});
