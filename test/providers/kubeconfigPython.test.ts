import assert from "assert/strict";
import { execFile, execFileSync } from "child_process";
import { readFileSync, writeFileSync } from "fs";
import { createServer, Server } from "https";
import { AddressInfo } from "net";
import { join } from "path";
import { TLSSocket } from "tls";
import { promisify } from "util";
import * as yaml from "js-yaml";
import { KUBECONFIG_PY } from "../../providers/kubeconfigPython";
import { tempDirPerTest } from "./harness";

// The probes' shared kubeconfig reader, run by the real python3 against a real TLS server on
// loopback: what it connects to, what it trusts and what it authenticates with.

const run = promisify(execFile);
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2ln";

/** Connects as the reader says and prints `<authenticated> <what the server saw>`. */
const DRIVER = `${KUBECONFIG_PY}
import sys, urllib.request
try:
    server, tls, headers, authenticated = kube_connection(open(sys.argv[1]).read(), sys.argv[1], sys.argv[2])
except KubeconfigError as e:
    sys.exit("refused: %s" % e)
with urllib.request.urlopen(urllib.request.Request(server + "/who", headers=headers), context=tls, timeout=10) as r:
    print(authenticated, r.read().decode())
`;

describe("the probes' kubeconfig reader (python3)", function () {
  this.timeout(60_000);
  const dir = tempDirPerTest();
  let pki = "";
  let server: Server;
  let url = "";
  const pem = (name: string) => readFileSync(join(pki, name), "utf8");
  const b64 = (name: string) => Buffer.from(pem(name)).toString("base64");

  before(async () => {
    pki = execFileSync("mktemp", ["-d"]).toString().trim();
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: "ignore" });
    for (const [name, cn, ext] of [
      ["ca", "test-ca", "basicConstraints=critical,CA:TRUE"],
      ["client", "conductor", "basicConstraints=CA:FALSE"],
    ])
      ssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        `/CN=${cn}`,
        "-addext",
        ext,
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.crt`,
      );
    server = createServer(
      { key: pem("ca.key"), cert: pem("ca.crt"), requestCert: true, rejectUnauthorized: false },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.end(`auth=${req.headers.authorization ?? "none"} cert=${peer?.subject?.CN ?? "none"}`);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server?.close();
    execFileSync("rm", ["-rf", "--", pki]);
  });

  /** A kubeconfig whose current context is the second: the first names a server nothing answers. */
  function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, current = "mgmt") {
    return {
      apiVersion: "v1",
      clusters: [
        { name: "dead", cluster: { server: "https://127.0.0.1:1" } },
        { name: "mgmt", cluster: { server: url, ...cluster } },
      ],
      contexts: [
        { name: "dead", context: { cluster: "dead", user: "u" } },
        { name: "mgmt", context: { cluster: "mgmt", user: "u" } },
      ],
      "current-context": current,
      users: [{ name: "u", user }],
    };
  }
  const asYaml = (k: object) => yaml.dump(k);

  async function connect(text: string): Promise<{ code: number; out: string }> {
    const file = join(dir(), "kubeconfig");
    writeFileSync(file, text, { mode: 0o600 });
    try {
      const r = await run("python3", ["-I", "-c", DRIVER, file, dir()]);
      return { code: 0, out: r.stdout.trim() };
    } catch (e) {
      const f = e as { code: number; stdout: string; stderr: string };
      return { code: f.code, out: `${f.stdout}${f.stderr}`.trim() };
    }
  }

  it("uses the current context's server, its CA alone and the user's token, from YAML or JSON", async () => {
    const k = kubeconfig({ "certificate-authority-data": b64("ca.crt") }, { token: TOKEN });
    for (const text of [asYaml(k), JSON.stringify(k)])
      assert.deepEqual(await connect(text), { code: 0, out: `True auth=Bearer ${TOKEN} cert=none` });
  });

  it("reads a CA file, a token file and a client certificate given inline or by file", async () => {
    writeFileSync(join(pki, "token"), `${TOKEN}\n`);
    const ca = { "certificate-authority": join(pki, "ca.crt") };
    const cases: [Record<string, unknown>, string][] = [
      [{ tokenFile: join(pki, "token") }, `True auth=Bearer ${TOKEN} cert=none`],
      [
        { "client-certificate-data": b64("client.crt"), "client-key-data": b64("client.key") },
        "True auth=none cert=conductor",
      ],
      [
        { "client-certificate": join(pki, "client.crt"), "client-key": join(pki, "client.key") },
        "True auth=none cert=conductor",
      ],
      [{}, "False auth=none cert=none"],
    ];
    for (const [user, seen] of cases)
      assert.deepEqual(await connect(asYaml(kubeconfig(ca, user))), { code: 0, out: seen });
  });

  it("verifies the server unless the kubeconfig says insecure-skip-tls-verify", async () => {
    const unverified = await connect(asYaml(kubeconfig({}, { token: TOKEN })));
    assert.notEqual(unverified.code, 0);
    assert.match(unverified.out, /CERTIFICATE_VERIFY_FAILED/);
    assert.equal(
      (await connect(asYaml(kubeconfig({ "insecure-skip-tls-verify": true }, { token: TOKEN })))).code,
      0,
    );
  });

  it("refuses a kubeconfig it cannot use, naming the file and never its content", async () => {
    const file = join(dir(), "kubeconfig");
    const cases: [string, string][] = [
      [
        asYaml(kubeconfig({}, { token: TOKEN }, "nowhere")),
        `refused: ${file} names no server for its current context`,
      ],
      [`users:\n- user:\n    token: "${TOKEN}\n`, `refused: ${file} does not parse (ScannerError)`],
    ];
    for (const [text, seen] of cases) assert.deepEqual(await connect(text), { code: 1, out: seen });
  });
});
