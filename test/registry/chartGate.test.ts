import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import { AddressInfo } from "net";
import * as path from "path";
import { ChartIndexCheck, gatesScript } from "../../providers/gates";
import { PRELUDE } from "../../providers/prelude";
import { parseResults } from "../../providers/remote";
import { makePki } from "../kube/apiserver";
import { removeDir, tempDir } from "../sim/unit/testSupport";
import { Registry, startRegistry } from "./registry";

// The chart gate for an OCI chart (chartRepo "", chartName oci://...), run here as the unit runs it,
// against the real distribution registry on loopback: TLS from a private CA that the script's
// python trusts through SSL_CERT_FILE, as a conductor trusts its site CA through its system store.

/** The gate's script as a step sends it, run here without blocking the servers in this process. */
function runGate(
  gate: ChartIndexCheck,
  caFile: string,
): Promise<{ code: number; out: Record<string, string>; stderr: string }> {
  const script = `${PRELUDE}\n${gatesScript([gate], "")}\n`;
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", SSL_CERT_FILE: caFile, LANG: "C.UTF-8" };
    const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, out: parseResults(stdout), stderr }));
  });
}

const oci = (host: string, repository: string, version: string): ChartIndexCheck => ({
  kind: "chartIndex",
  repo: "",
  chart: `oci://${host}/${repository}`,
  version,
});

describe("chart gate: an OCI chart in a real registry (distribution, token auth, private CA)", function () {
  this.timeout(120_000);
  let registry: Registry;

  before(async () => {
    registry = await startRegistry();
    for (const v of ["0.24.3", "0.25.1", "0.26.0+local.1"])
      await registry.pushChart("capi/openstack-cluster", v);
    await registry.pushChart("capi/other", "0.25.7");
  });
  after(async () => registry?.stop());

  it("passes when the version is tagged, after the anonymous bearer flow", async () => {
    registry.tokens.asked.length = 0;
    const r = await runGate(oci(registry.host, "capi/openstack-cluster", "0.25.1"), registry.caFile);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.out["gate.chartIndex"],
      `openstack-cluster 0.25.1 tagged in oci://${registry.host}/capi/openstack-cluster`,
    );
    assert.deepEqual(registry.tokens.asked, [
      { scope: "repository:capi/openstack-cluster:pull", withCredentials: false },
    ]);
  });

  it("finds a version with build metadata under the tag helm pushes (+ as _)", async () => {
    const r = await runGate(oci(registry.host, "capi/openstack-cluster", "0.26.0+local.1"), registry.caFile);
    assert.equal(r.code, 0, r.stderr);
  });

  it("refuses a version that is not tagged, naming the chart, the registry and the tags seen", async () => {
    for (const version of ["0.25.7", "0.25.2"]) {
      const r = await runGate(oci(registry.host, "capi/openstack-cluster", version), registry.caFile);
      assert.equal(r.code, 3, version);
      assert.equal(r.out["fail.step"], `chart registry check (openstack-cluster ${version})`);
      assert.equal(
        r.out["fail.expected"],
        `chart capi/openstack-cluster version ${version} in ${registry.host}`,
      );
      assert.equal(r.out["fail.seen"], "tags [0.24.3 0.25.1 0.26.0_local.1]");
    }
  });

  it("refuses a repository the registry does not have, with the HTTP failure", async () => {
    const r = await runGate(oci(registry.host, "capi/missing-cluster", "0.25.1"), registry.caFile);
    assert.equal(r.code, 3);
    const url = `https://${registry.host}/v2/capi/missing-cluster/tags/list`;
    assert.equal(r.out["fail.expected"], `HTTP 200 for ${url}`);
    assert.equal(r.out["fail.seen"], `${url} answered HTTP 404 Not Found`);
  });

  it("refuses when the token realm admits no anonymous pull", async () => {
    registry.tokens.anonymousPull = false;
    try {
      const r = await runGate(oci(registry.host, "capi/openstack-cluster", "0.25.1"), registry.caFile);
      assert.equal(r.code, 3);
      assert.equal(
        r.out["fail.seen"],
        `the token realm ${registry.tokens.realm} answered HTTP 401 Unauthorized to an anonymous request`,
      );
    } finally {
      registry.tokens.anonymousPull = true;
    }
  });

  it("refuses a registry whose certificate the unit does not trust", async () => {
    const r = await runGate(oci(registry.host, "capi/openstack-cluster", "0.25.1"), "/dev/null");
    assert.equal(r.code, 3);
    assert.match(r.out["fail.seen"], /unreachable \(\[SSL: CERTIFICATE_VERIFY_FAILED\]/);
  });
});

describe("chart gate: what the registry protocol allows beyond the one registry", function () {
  let dir: string;
  let server: https.Server;
  let host: string;
  const pages: Record<string, { tags: string[]; next?: string }> = {
    "/v2/charts/openstack-cluster/tags/list": {
      tags: ["0.1.0", "0.2.0"],
      next: "/v2/charts/openstack-cluster/tags/list?last=0.2.0&n=2",
    },
    "/v2/charts/openstack-cluster/tags/list?last=0.2.0&n=2": { tags: ["0.25.1", "0.9.0"] },
  };

  before(async () => {
    dir = tempDir("registry-stub");
    await makePki(dir);
    const f = (n: string) => path.join(dir, n);
    server = https.createServer(
      { cert: fs.readFileSync(f("server.crt")), key: fs.readFileSync(f("server.key")) },
      (req, res) => {
        if (req.url?.startsWith("/v2/private/")) {
          res.writeHead(401, { "WWW-Authenticate": 'Basic realm="private"' }).end();
          return;
        }
        const page = pages[req.url ?? ""];
        if (!page) {
          res.writeHead(404).end();
          return;
        }
        const link = page.next ? { Link: `<${page.next}>; rel="next"` } : {};
        res
          .writeHead(200, { "Content-Type": "application/json", ...link })
          .end(JSON.stringify({ name: "x", tags: page.tags }));
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    removeDir(dir);
  });

  it("follows Link rel=next across pages", async () => {
    const r = await runGate(oci(host, "charts/openstack-cluster", "0.25.1"), path.join(dir, "ca.crt"));
    assert.equal(r.code, 0, r.stderr);
    const missing = await runGate(oci(host, "charts/openstack-cluster", "0.26.0"), path.join(dir, "ca.crt"));
    assert.equal(missing.out["fail.seen"], "tags [0.1.0 0.2.0 0.9.0 0.25.1]");
  });

  it("refuses a registry that asks for Basic credentials, saying why", async () => {
    const r = await runGate(oci(host, "private/openstack-cluster", "0.25.1"), path.join(dir, "ca.crt"));
    assert.equal(r.code, 3);
    assert.match(
      r.out["fail.seen"],
      /answered HTTP 401 asking for Basic credentials; the driver's helm pulls anonymously unless/,
    );
  });

  it("refuses an unreachable registry", async () => {
    const r = await runGate(
      oci("127.0.0.1:1", "charts/openstack-cluster", "0.25.1"),
      path.join(dir, "ca.crt"),
    );
    assert.equal(r.code, 3);
    assert.match(
      r.out["fail.seen"],
      /^https:\/\/127\.0\.0\.1:1\/v2\/charts\/openstack-cluster\/tags\/list unreachable \(\[Errno 111\] Connection refused\)$/,
    );
  });
});
