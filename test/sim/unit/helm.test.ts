import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import * as path from "path";
import { makePki } from "../../kube/apiserver";
import { operatorKubeconfig } from "../cloud/cloud";
import { SimUnit } from "./simUnit";
import { removeDir, sharedArtifacts, tempDir } from "./testSupport";

const TOKEN = "s3cr3t-token";

const kubeconfig = (port: number, token: string, scheme = "http", ca?: string): string =>
  operatorKubeconfig(`${scheme}://127.0.0.1:${port}`, token, ca);

function secret(name: string, namespace: string, version: number) {
  return {
    metadata: {
      name: `sh.helm.release.v1.${name}.v${version}`,
      namespace,
      labels: { name, owner: "helm", status: "deployed", version: String(version) },
    },
  };
}

describe("fake helm inside a SimUnit", function () {
  let unit: SimUnit;
  let dir: string;
  let api: http.Server;
  let port: number;
  let tlsApi: https.Server;
  let tlsPort: number;
  let ca: string;
  const seen: string[] = [];

  before(async function () {
    // The first run on a machine fetches the python stack from PyPI (about a minute).
    this.timeout(600_000);
    const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.push(`${req.url} ${req.headers.authorization}`);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end('{"kind":"Status","reason":"Unauthorized"}');
        return;
      }
      const items = [
        secret("cert-manager", "cert-manager", 1),
        secret("cilium", "kube-system", 1),
        secret("cilium", "kube-system", 2),
      ];
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ items }));
    };
    api = http.createServer(answer);
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    port = (api.address() as AddressInfo).port;
    dir = tempDir("helm");
    // An HTTPS API whose certificate only the kubeconfig's CA vouches for, as a real apiserver's.
    const pki = path.join(dir, "pki");
    fs.mkdirSync(pki);
    await makePki(pki);
    ca = fs.readFileSync(path.join(pki, "ca.crt"), "utf8");
    const [cert, key] = ["server.crt", "server.key"].map((f) => fs.readFileSync(path.join(pki, f)));
    tlsApi = https.createServer({ cert, key }, answer);
    await new Promise<void>((r) => tlsApi.listen(0, "127.0.0.1", r));
    tlsPort = (tlsApi.address() as AddressInfo).port;
    unit = await SimUnit.start({
      unit: "magnum/0",
      address: "10.12.4.76",
      machine: "1/lxd/2",
      workDir: dir,
      artifacts: await sharedArtifacts(),
      preinstalledHelm: "v3.17.3",
    });
  });

  after(async function () {
    await unit?.stop();
    await new Promise((r) => api?.close(r));
    await new Promise((r) => tlsApi?.close(r));
    removeDir(dir);
  });

  const helmList = (opts = "") =>
    unit.sh(`sudo -u magnum env HOME=/tmp helm --kubeconfig /etc/magnum/kubeconfig list -A ${opts}`, {
      user: "ubuntu",
    });

  it("lists the latest revision of each release with the kubeconfig's token", async function () {
    await unit.writeFile("/etc/magnum/kubeconfig", kubeconfig(port, TOKEN), "0600", "magnum:magnum");
    const r = await helmList();
    assert.strictEqual(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0], /^NAME\s+NAMESPACE\s+REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION$/);
    assert.deepStrictEqual(
      lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3)),
      [
        ["cert-manager", "cert-manager", "1"],
        ["cilium", "kube-system", "2"],
      ],
    );
    assert.ok(seen.includes(`/api/v1/secrets?labelSelector=owner%3Dhelm Bearer ${TOKEN}`));
    const json = await helmList("-o json");
    assert.deepStrictEqual(
      JSON.parse(json.stdout).map((x: { name: string }) => x.name),
      ["cert-manager", "cilium"],
    );
  });

  it("fails like helm on a bad token, an unreachable server and an empty or unreadable kubeconfig", async function () {
    await unit.writeFile("/etc/magnum/kubeconfig", kubeconfig(port, "wrong"), "0600", "magnum:magnum");
    let r = await helmList();
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /^Error: .*Unauthorized/);
    await unit.writeFile("/etc/magnum/kubeconfig", kubeconfig(1, TOKEN), "0600", "magnum:magnum");
    r = await helmList();
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /^Error: Kubernetes cluster unreachable: /);
    await unit.writeFile("/etc/magnum/kubeconfig", "", "0600", "magnum:magnum");
    assert.strictEqual((await helmList()).code, 1);
    await unit.writeFile("/etc/magnum/kubeconfig", kubeconfig(port, TOKEN), "0600", "root:root");
    r = await helmList();
    assert.strictEqual(r.code, 1);
    assert.match(r.stderr, /permission denied/);
  });

  it("verifies an HTTPS server against the kubeconfig's CA, and refuses it without that CA", async function () {
    await unit.writeFile(
      "/etc/magnum/kubeconfig",
      kubeconfig(tlsPort, TOKEN, "https", ca),
      "0600",
      "magnum:magnum",
    );
    let r = await helmList("-o json");
    assert.strictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(
      JSON.parse(r.stdout).map((x: { name: string }) => x.name),
      ["cert-manager", "cilium"],
    );
    await unit.writeFile(
      "/etc/magnum/kubeconfig",
      kubeconfig(tlsPort, TOKEN, "https"),
      "0600",
      "magnum:magnum",
    );
    r = await helmList();
    assert.strictEqual(r.code, 1);
    assert.match(
      r.stderr,
      /^Error: Kubernetes cluster unreachable: Get "https:\/\/127\.0\.0\.1:\d+\/version": tls: failed to verify certificate: x509: /,
    );
  });
});
