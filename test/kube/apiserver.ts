import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { killGroup } from "../../providers/localProcess";
import { run, waitGone } from "../sim/unit/processes";
import { removeDir, tempDir, waitFor } from "../sim/unit/testSupport";
import { KubeClient } from "./client";
import { crdObject, MANAGEMENT_CRDS } from "./crds";

const REPO = path.resolve(__dirname, "..", "..", "..");
const ETCD = "/usr/bin/etcd";

/** The version toolchain/kube-apiserver/go.mod builds. */
function pinnedVersion(): string {
  const mod = fs.readFileSync(path.join(REPO, "toolchain", "kube-apiserver", "go.mod"), "utf8");
  const m = /^require k8s\.io\/kubernetes (v\S+)$/m.exec(mod);
  if (!m)
    throw new Error(
      "kube fixture: expected `require k8s.io/kubernetes vX` in toolchain/kube-apiserver/go.mod",
    );
  return m[1];
}

interface KubeBinaries {
  readonly apiserver: string;
  readonly controllerManager: string;
  readonly etcd: string;
}

/**
 * Where toolchain/kube-apiserver/build.sh left the pinned kube-apiserver and kube-controller-manager (the
 * repo's toolchain/.bin/, then the user cache), and etcd from Debian's etcd-server; `missing` names what is not there.
 */
export function kubeBinaries(): KubeBinaries | { missing: string } {
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  const found: Record<string, string> = {};
  for (const cmd of ["kube-apiserver", "kube-controller-manager"]) {
    const name = `${cmd}-${pinnedVersion()}`;
    const bin = [
      path.join(REPO, "toolchain", ".bin", name),
      path.join(cache, "magnum-capi-graft", name),
    ].find((p) => fs.existsSync(p));
    if (!bin) return { missing: `${name} (run toolchain/kube-apiserver/build.sh)` };
    found[cmd] = bin;
  }
  if (!fs.existsSync(ETCD)) return { missing: `${ETCD} (apt-get install etcd-server)` };
  return {
    apiserver: found["kube-apiserver"],
    controllerManager: found["kube-controller-manager"],
    etcd: ETCD,
  };
}

/**
 * Why a tier that needs the apiserver cannot run here (undefined when it can). CI builds the binaries
 * and sets REQUIRE_KUBE_APISERVER=1: there a missing binary fails the tier instead of skipping it.
 */
export function kubeUnavailable(tier: string): string | undefined {
  const bins = kubeBinaries();
  if (!("missing" in bins)) return undefined;
  if (process.env.REQUIRE_KUBE_APISERVER) throw new Error(`${tier}: missing ${bins.missing}`);
  return `missing ${bins.missing}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const r = await run("openssl", args, { timeoutMs: 30000, env: { ...process.env, HOME: dir } });
  if (r.code !== 0) throw new Error(`kube fixture: openssl ${args[0]} failed: ${r.stderr.toString()}`);
}

/** A CA, a serving certificate for 127.0.0.1 signed by it, and the service-account signing key. */
export async function makePki(dir: string): Promise<void> {
  const f = (n: string) => path.join(dir, n);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(dir, [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.crt"),
    "-days",
    "2",
    "-subj",
    "/CN=kube-test-ca",
  ]);
  await openssl(dir, [
    "req",
    ...ec,
    "-keyout",
    f("server.key"),
    "-out",
    f("server.csr"),
    "-subj",
    "/CN=kube-apiserver",
  ]);
  fs.writeFileSync(
    f("server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    f("server.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-out",
    f("server.crt"),
    "-days",
    "2",
    "-extfile",
    f("server.ext"),
  ]);
  await openssl(dir, [
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-out",
    f("sa.key"),
  ]);
  await openssl(dir, ["pkey", "-in", f("sa.key"), "-pubout", "-out", f("sa.pub")]);
}

function start(cmd: string, args: string[], log: string): ChildProcess {
  const out = fs.openSync(log, "a");
  // Its own process group, so stop() ends it and nothing else.
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (!child.pid || child.exitCode !== null) return;
  killGroup(child.pid);
  await waitGone(child.pid, 10000);
}

export interface KubeApiServer {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly ca: string;
  /** A client in system:masters (static token). */
  readonly admin: KubeClient;
  /** An admin kubeconfig, as the management cluster's operator would hold it. */
  readonly adminKubeconfig: string;
  /** A client presenting another bearer token, e.g. a minted service-account token. */
  as(token: string): KubeClient;
  /** The tail of kube-controller-manager's log, for a failure message. */
  controllerManagerLog(): string;
  /** Writes the CAPO Deployment's Available condition (no controller runs). */
  setCapoAvailable(available: boolean): Promise<void>;
  stop(): Promise<void>;
}

const CAPO = "/apis/apps/v1/namespaces/capo-system/deployments/capo-controller-manager";

/** The CAPI stack's controller Deployments (`namespace/name`) and their manager images. */
const CONTROLLERS: Readonly<Record<string, string>> = {
  "capi-system/capi-controller-manager": "registry.k8s.io/cluster-api/cluster-api-controller:v1.13.0",
  "capo-system/capo-controller-manager": "registry.k8s.io/capi-openstack/capi-openstack-controller:v0.14.0",
  "orc-system/orc-controller-manager": "quay.io/orc/openstack-resource-controller:v2.5.1",
};

export interface KubeOptions {
  /**
   * kube-controller-manager controllers besides the serviceaccount-token controller, e.g. the
   * deployment and replicaset controllers that turn a Deployment into Pods (Pod Security admission
   * judges those Pods). Off by default: they would overwrite the CAPO status the tests write.
   */
  readonly controllers?: readonly string[];
}

/**
 * etcd and kube-apiserver on loopback, RBAC, Pod Security and ValidatingAdmissionPolicy admission on,
 * the management cluster's CRDs loaded, the CAPI, CAPO and ORC controller Deployments present (CAPO
 * without an Available condition until the test writes one), and kube-controller-manager running the
 * serviceaccount-token controller (it fills token Secrets), the admission policy status controller
 * (it type-checks a policy's CEL) and `controllers`.
 */
export async function startKubeApiServer(options: KubeOptions = {}): Promise<KubeApiServer> {
  const bins = kubeBinaries();
  if ("missing" in bins) throw new Error(`kube fixture: missing ${bins.missing}`);
  const dir = tempDir("kube");
  const procs: ChildProcess[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await stopProcess(p);
    removeDir(dir);
  };
  try {
    await makePki(dir);
    const f = (n: string) => path.join(dir, n);
    const adminToken = randomBytes(24).toString("hex");
    fs.writeFileSync(f("tokens.csv"), `${adminToken},kube-test-admin,kube-test-admin,"system:masters"\n`, {
      mode: 0o600,
    });
    const [etcdClient, etcdPeer, port] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    procs.push(
      start(
        bins.etcd,
        [
          `--data-dir=${f("etcd")}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
          "--logger=zap",
          "--log-level=warn",
        ],
        f("etcd.log"),
      ),
    );
    procs.push(
      start(
        bins.apiserver,
        [
          `--etcd-servers=${etcdUrl}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          `--secure-port=${port}`,
          `--cert-dir=${f("certs")}`,
          `--tls-cert-file=${f("server.crt")}`,
          `--tls-private-key-file=${f("server.key")}`,
          `--token-auth-file=${f("tokens.csv")}`,
          "--anonymous-auth=false",
          "--authorization-mode=Node,RBAC",
          // As every cluster that runs CAPI controllers: Pod Security, not this flag, decides.
          "--allow-privileged=true",
          // Both are on by default since 1.30 (PodSecurity since 1.25); named so a change of defaults
          // cannot silently drop what the scoped credential relies on.
          "--enable-admission-plugins=PodSecurity,ValidatingAdmissionPolicy",
          "--service-account-issuer=https://kubernetes.default.svc",
          `--service-account-key-file=${f("sa.pub")}`,
          `--service-account-signing-key-file=${f("sa.key")}`,
          "--service-cluster-ip-range=10.96.0.0/16",
          "--enable-priority-and-fairness=false",
          "--profiling=false",
          "--v=1",
        ],
        f("apiserver.log"),
      ),
    );
    const url = `https://127.0.0.1:${port}`;
    const ca = fs.readFileSync(f("ca.crt"), "utf8");
    const admin = new KubeClient(url, ca, adminToken);
    await waitFor(
      "kube-apiserver /readyz",
      async () => {
        for (const p of procs) {
          if (p.exitCode !== null) {
            const log = fs.readFileSync(f(p === procs[0] ? "etcd.log" : "apiserver.log"), "utf8");
            throw new Error(`kube fixture: ${p.spawnfile} exited ${p.exitCode}: ${log.slice(-2000)}`);
          }
        }
        const r = await admin.request("GET", "/readyz").catch(() => undefined);
        return r?.status === 200 ? true : undefined;
      },
      120000,
    );
    await loadManagementObjects(admin);
    const adminKubeconfig = kubeconfig(url, ca, adminToken, "kube-test-admin");
    fs.writeFileSync(f("admin.kubeconfig"), adminKubeconfig, { mode: 0o600 });
    procs.push(
      start(
        bins.controllerManager,
        [
          `--kubeconfig=${f("admin.kubeconfig")}`,
          // The status controller type-checks admission policies' CEL and reports it in their status.
          `--controllers=${[
            "serviceaccount-token-controller",
            "validatingadmissionpolicy-status-controller",
            ...(options.controllers ?? []),
          ].join(",")}`,
          `--service-account-private-key-file=${f("sa.key")}`,
          `--root-ca-file=${f("ca.crt")}`,
          "--leader-elect=false",
          "--secure-port=0",
          "--v=1",
        ],
        f("controller-manager.log"),
      ),
    );
    return {
      url,
      ca,
      admin,
      adminKubeconfig,
      as: (token) => new KubeClient(url, ca, token),
      controllerManagerLog: () => fs.readFileSync(f("controller-manager.log"), "utf8").slice(-2000),
      setCapoAvailable: (available) => setCapoAvailable(admin, available),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A kubeconfig with an inline token, the only shapes the driver reads besides a client cert. */
export function kubeconfig(server: string, ca: string, token: string, user: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "mgmt", cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") } },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "mgmt", context: { cluster: "mgmt", user } }],
    "current-context": "mgmt",
  });
}

async function loadManagementObjects(admin: KubeClient): Promise<void> {
  for (const c of MANAGEMENT_CRDS) {
    await admin.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", { body: crdObject(c) });
  }
  for (const c of MANAGEMENT_CRDS) {
    const name = `${c.plural}.${c.group}`;
    await waitFor(
      `CRD ${name} Established`,
      async () => {
        const r = await admin.ok("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
        const conditions: Array<{ type: string; status: string }> = r.body.status?.conditions ?? [];
        return conditions.some((x) => x.type === "Established" && x.status === "True") ? true : undefined;
      },
      30000,
    );
  }
  for (const [id, image] of Object.entries(CONTROLLERS)) {
    const [namespace, name] = id.split("/");
    await admin.ok("POST", "/api/v1/namespaces", { body: { metadata: { name: namespace } } });
    const labels = { "control-plane": name };
    await admin.ok("POST", `/apis/apps/v1/namespaces/${namespace}/deployments`, {
      body: {
        metadata: { name, namespace },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: "manager", image }] } },
        },
      },
    });
  }
}

async function setCapoAvailable(admin: KubeClient, available: boolean): Promise<void> {
  const current = await admin.ok("GET", CAPO);
  const status = available ? "True" : "False";
  const reason = available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable";
  await admin.ok("PUT", `${CAPO}/status`, {
    body: {
      ...current.body,
      status: {
        replicas: 1,
        readyReplicas: available ? 1 : 0,
        availableReplicas: available ? 1 : 0,
        conditions: [{ type: "Available", status, reason, message: `test: CAPO ${status}` }],
      },
    },
  });
}
