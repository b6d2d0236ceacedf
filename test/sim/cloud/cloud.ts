import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ADMIN_PROJECT, DOMAIN_NAME, REGION, USER_NAME } from "./keystone";
import {
  CapiCluster,
  CloudOptions,
  ControllerImages,
  CONFIG_FILE,
  LoggedRequest,
  Ready,
  REQUEST_LOG,
  Rule,
  RuleSpec,
  STATE_FILE,
} from "./types";

export type { CloudOptions, RuleSpec, Rule, LoggedRequest };

const START_TIMEOUT_MS = 10_000;

function waitForReady(child: ChildProcess): Promise<Ready> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`stub cloud did not start: ${why}\n${err}`));
    };
    const timer = setTimeout(() => fail("timed out"), START_TIMEOUT_MS);
    child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => fail(`exited with ${code}`));
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("READY "));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve(JSON.parse(line.slice("READY ".length)) as Ready);
    });
  });
}

export class StubCloud {
  readonly osEnv: Record<string, string>;
  readonly kubeServer: string;
  /** The chart repository (its index.yaml), as helm_chart_repo names it. */
  readonly chartRepo: string;
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly opts: CloudOptions,
    private readonly ready: Ready,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    this.kubeServer = `http://127.0.0.1:${ready.kubePort}`;
    this.chartRepo = `http://127.0.0.1:${ready.chartsPort}/`;
    this.osEnv = {
      OS_AUTH_URL: `http://127.0.0.1:${ready.keystonePort}/v3`,
      OS_USERNAME: USER_NAME,
      OS_PASSWORD: ready.password,
      OS_USER_DOMAIN_NAME: DOMAIN_NAME,
      OS_PROJECT_NAME: ADMIN_PROJECT,
      OS_PROJECT_DOMAIN_NAME: DOMAIN_NAME,
      OS_IDENTITY_API_VERSION: "3",
      OS_INTERFACE: "public",
      OS_REGION_NAME: REGION,
    };
  }

  /** Seeds state only when the state dir has none, so a second start on the same dir continues it. */
  static async start(o: CloudOptions): Promise<StubCloud> {
    fs.mkdirSync(o.stateDir, { recursive: true });
    const configFile = path.join(o.stateDir, CONFIG_FILE);
    fs.writeFileSync(configFile, JSON.stringify(o, null, 2));
    const child = spawn(process.execPath, [path.join(__dirname, "server.js"), "--watch-stdin", configFile], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const ready = await waitForReady(child);
    return new StubCloud(child, o, ready);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get kubeToken(): string {
    return this.ready.kubeToken;
  }

  kubeconfig(): string {
    return operatorKubeconfig(this.kubeServer, this.ready.kubeToken);
  }

  /** Read from the persisted state, so it also works after stop(). */
  async rules(sgName: string): Promise<Rule[]> {
    const state = JSON.parse(
      await fs.promises.readFile(path.join(this.opts.stateDir, STATE_FILE), "utf8"),
    ) as {
      securityGroups: Array<{ id: string; name: string; project_id: string }>;
      rules: Rule[];
    };
    const sg = state.securityGroups.find((g) => g.name === sgName && g.project_id === this.opts.projectId);
    if (!sg) throw new Error(`no security group ${sgName} in project ${this.opts.projectName}`);
    return state.rules.filter((r) => r.security_group_id === sg.id);
  }

  async requests(): Promise<LoggedRequest[]> {
    const text = await fs.promises
      .readFile(path.join(this.opts.stateDir, REQUEST_LOG), "utf8")
      .catch(() => "");
    return text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LoggedRequest);
  }

  async setServedVersions(v: CloudOptions["servedVersions"]): Promise<void> {
    await this.control("served-versions", v);
  }

  async setCapiClusters(v: CapiCluster[]): Promise<void> {
    await this.control("capi-clusters", v);
  }

  /** Replaces the controller Deployments' images ("<namespace>/<name>" -> image). */
  async setControllerImages(v: ControllerImages): Promise<void> {
    await this.control("controller-images", v);
  }

  private async control(what: string, body: unknown): Promise<void> {
    const put = () =>
      fetch(`http://127.0.0.1:${this.ready.controlPort}/${what}`, {
        method: "PUT",
        body: JSON.stringify(body),
      });
    // A kept-alive socket the server closed meanwhile fails once ("other side closed"); PUT is idempotent.
    const res = await put().catch(put);
    if (res.status !== 204) throw new Error(`set ${what}: HTTP ${res.status}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, "SIGTERM");
    await this.exited;
  }
}

/** The admin kubeconfig a management cluster's operator holds, as kubectl writes it (block YAML). */
export function operatorKubeconfig(server: string, token: string, caPem?: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: capi-mgmt",
    "  cluster:",
    `    server: ${server}`,
    ...(caPem ? [`    certificate-authority-data: ${Buffer.from(caPem).toString("base64")}`] : []),
    "contexts:",
    "- name: capi-mgmt",
    "  context: {cluster: capi-mgmt, user: capi-mgmt-admin}",
    "current-context: capi-mgmt",
    "users:",
    "- name: capi-mgmt-admin",
    "  user:",
    `    token: ${token}`,
    "",
  ].join("\n");
}
