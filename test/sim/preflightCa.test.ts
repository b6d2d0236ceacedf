import { strict as assert } from "assert";
import * as fs from "fs";
import * as https from "https";
import { AddressInfo } from "net";
import * as path from "path";
import { gatesScript, GateSpec } from "../../providers/gates";
import { PRELUDE } from "../../providers/prelude";
import { parseResults } from "../../providers/remote";
import { shq } from "../../core/shell";
import { makePki } from "../kube/apiserver";
import { SimUnit } from "./unit/simUnit";
import { removeDir, sharedArtifacts, tempDir } from "./unit/testSupport";

// The preflight's identity CA check on a simulated conductor: magnum.conf as the charm renders it,
// the conductor's own python and certifi, and the cloud's public Keystone endpoint on loopback
// HTTPS with a certificate from a private CA.

const CONF = "/etc/magnum/magnum.conf";
const PASSWORD = "Zq8vT3mK9pLw2xR7-ca-test";
const PREFLIGHT: GateSpec = { kind: "preflight", address: "10.12.4.76", magnumConf: CONF };

describe("preflight: the CA the driver hands to clusters verifies the public identity endpoint", function () {
  this.timeout(600_000);
  let dir: string;
  let keystone: https.Server;
  let endpoint: string;
  let unit: SimUnit;
  let ca: string;

  before(async () => {
    dir = tempDir("ca");
    await makePki(dir);
    ca = fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
    const f = (n: string) => fs.readFileSync(path.join(dir, n));
    keystone = https.createServer({ cert: f("server.crt"), key: f("server.key") }, (_req, res) =>
      res.writeHead(300, { "Content-Type": "application/json" }).end("{}"),
    );
    await new Promise<void>((r) => keystone.listen(0, "127.0.0.1", r));
    endpoint = `https://127.0.0.1:${(keystone.address() as AddressInfo).port}/v3`;
    const artifacts = await sharedArtifacts();
    const workDir = path.join(dir, "unit");
    fs.mkdirSync(workDir);
    unit = await SimUnit.start({
      unit: "magnum/0",
      address: "10.12.4.76",
      machine: "1/lxd/2",
      workDir,
      artifacts,
      trust: { form: "name", password: PASSWORD },
      identityUri: endpoint,
    });
    const saved = await unit.sh(`cp -a ${CONF} /root/magnum.conf.orig`);
    assert.equal(saved.code, 0, saved.stderr);
  });

  after(async () => {
    await unit?.stop();
    await new Promise<void>((r) => (keystone ? keystone.close(() => r()) : r()));
    if (dir) removeDir(dir);
  });

  beforeEach(async () => {
    const r = await unit.sh(`cp -a /root/magnum.conf.orig ${CONF}`);
    assert.equal(r.code, 0, r.stderr);
  });

  /** Changes magnum.conf as an operator (or the charm) would; `lines` may add a [drivers] section. */
  async function configure(sed: string, lines = ""): Promise<void> {
    const script = `${sed ? `sed -i ${shq(sed)} ${CONF}` : ":"}\nprintf '%s' ${shq(lines)} >> ${CONF}`;
    const r = await unit.sh(script);
    assert.equal(r.code, 0, r.stderr);
  }

  async function preflight(): Promise<{ code: number; out: Record<string, string>; all: string }> {
    const r = await unit.sh(`${PRELUDE}\n${gatesScript([PREFLIGHT], "")}\n`);
    return { code: r.code, out: parseResults(r.stdout), all: r.stdout + r.stderr };
  }

  it("refuses a private-CA endpoint while openstack_ca_file is unset (certifi's bundle), naming the option", async () => {
    const r = await preflight();
    assert.equal(r.code, 3, r.all);
    assert.equal(r.out["fail.step"], "preflight");
    assert.match(
      r.out["fail.expected"],
      new RegExp(
        `^the public identity endpoint ${endpoint.replace(/[.]/g, "\\.")} \\(\\[keystone_authtoken\\] www_authenticate_uri\\) ` +
          "to verify against certifi's bundle /\\S+/certifi/cacert\\.pem \\(\\[drivers\\] openstack_ca_file is unset\\), " +
          "the CA bundle the driver hands to every cluster's CAPO$",
      ),
    );
    assert.equal(
      r.out["fail.seen"],
      "unable to get local issuer certificate (set [drivers] openstack_ca_file to the CA bundle that signed it)",
    );
    assert.doesNotMatch(r.all, new RegExp(PASSWORD));
  });

  it("passes once openstack_ca_file names the private CA", async () => {
    const put = await unit.sh("cat > /etc/magnum/cloud-ca.pem && chmod 0644 /etc/magnum/cloud-ca.pem", {
      stdin: Buffer.from(ca),
    });
    assert.equal(put.code, 0, put.stderr);
    await configure("", "\n[drivers]\nopenstack_ca_file = /etc/magnum/cloud-ca.pem\n");
    const r = await preflight();
    assert.equal(r.code, 0, r.all);
    assert.equal(
      r.out["gate.preflight"],
      "trust domain by name, admin by name, password set; " +
        `identity ${endpoint} verified by [drivers] openstack_ca_file /etc/magnum/cloud-ca.pem (issuer kube-test-ca)`,
    );
    assert.doesNotMatch(r.all, new RegExp(PASSWORD));
  });

  it("refuses an openstack_ca_file that is not there: the driver would fail to read it", async () => {
    await configure("", "\n[drivers]\nopenstack_ca_file = /etc/magnum/missing.pem\n");
    const r = await preflight();
    assert.equal(r.code, 3, r.all);
    assert.equal(
      r.out["fail.expected"],
      "[drivers] openstack_ca_file /etc/magnum/missing.pem to be a readable file (the driver reads it for every cluster)",
    );
  });

  it("does not apply to a plain http endpoint, nor when the driver tells clusters not to verify", async () => {
    const http = endpoint.replace("https://", "http://");
    await configure(`s|^www_authenticate_uri = .*|www_authenticate_uri = ${http}|`);
    let r = await preflight();
    assert.equal(r.code, 0, r.all);
    assert.match(
      r.out["gate.preflight"],
      new RegExp(`; identity ${http.replace(/[.]/g, "\\.")} is plain http: no CA involved$`),
    );
    await unit.sh(`cp -a /root/magnum.conf.orig ${CONF}`);
    await configure("", "\n[drivers]\nverify_ca = False\n");
    r = await preflight();
    assert.equal(r.code, 0, r.all);
    assert.match(
      r.out["gate.preflight"],
      /; identity CA not checked: \[drivers\] verify_ca is false \(clusters do not verify\)$/,
    );
  });

  it("reports, and does not refuse, an endpoint this unit cannot reach (CAPO reaches it from elsewhere)", async () => {
    await configure("s|^www_authenticate_uri = .*|www_authenticate_uri = https://127.0.0.1:1/v3|");
    const r = await preflight();
    assert.equal(r.code, 0, r.all);
    assert.match(
      r.out["gate.preflight"],
      /; identity CA not checked: https:\/\/127\.0\.0\.1:1\/v3 unreachable from this unit \(127\.0\.0\.1:1 \(Connection refused\)\)$/,
    );
  });
});
