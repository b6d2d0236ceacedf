// The fixtures of the kernel's contract suite (kernel.test.ts), one per remote-script spec. The
// provider tests build what is their own on the same inputs, outputs and replies.
import { sha256 } from "../../providers/diffing";
import { GateSpec } from "../../providers/gates";
import { HELM_BINARY, HelmBinaryInputs, HelmBinaryOutputs } from "../../providers/helmBinary";
import { RemoteScript } from "../../providers/kernel";
import { MANAGED_BLOCK, ManagedBlockInputs, ManagedBlockOutputs } from "../../providers/managedBlock";
import { PIP_PACKAGE, PipPackageInputs, PipPackageOutputs } from "../../providers/pipPackage";
import { Target } from "../../providers/remote";
import { REMOTE_FILE, RemoteFileInputs, RemoteFileOutputs } from "../../providers/remoteFile";
import { SERVICE_RESTART, ServiceRestartInputs, ServiceRestartOutputs } from "../../providers/serviceRestart";
import { RunResult } from "../../providers/transport/transport";
import { UNIT_GATES, UnitGatesInputs, UnitGatesOutputs } from "../../providers/unitGates";
import { JUJU, ok, UNIT, UNKNOWN } from "./harness";

/** One value per row, each a test of its own. */
type Rows<T> = ReadonlyArray<readonly [keyof T & string, unknown]>;

/** A call's answer from the unit, and what the outputs then hold instead. */
interface Change<O> {
  readonly reply: RunResult;
  readonly found: Partial<O>;
}

export interface KernelContract<I extends Target, O extends Target> {
  readonly name: string;
  readonly spec: RemoteScript<I, O>;
  readonly inputs: I;
  /** What a create of `inputs` records when the unit answers `liveReply`, with `changedAt` "" where kept. */
  readonly outputs: O;
  readonly liveReply: RunResult;
  readonly id: string;
  /** The create's step, as its failures name it, and the result it fails without (none: it needs none). */
  readonly step: string;
  readonly requires?: string;
  /** The payload of the create's call; none for most. */
  readonly stdin?: Buffer;
  /** How long the create's call may take, where that is part of what the step promises. */
  readonly timeoutMs?: number;
  /** Other values check passes through. */
  readonly accepts?: Rows<I>;
  readonly rejects: Rows<I>;
  readonly inPlace: Rows<I>;
  readonly replaces: Rows<I>;
  /** What a refresh may find that the inputs do not ask for. */
  readonly drifts: Rows<O>;
  /** Changes an update records without a call. */
  readonly recordedOnly: Rows<I>;
  /** An update that reruns the apply: the change, the unit's answer and what the outputs then hold instead. */
  readonly rerun: Change<O> & { readonly change: Partial<I>; readonly stdin?: Buffer };
  readonly deleteBeforeReplace: boolean;
  /** A refresh of `outputs`. */
  readonly refresh: Change<O>;
  /** Deletes of `outputs` with these changes, and how many calls each makes. */
  readonly deleteCalls: ReadonlyArray<readonly [Partial<O>, number]>;
}

const HOSTILE_UNIT = ["unit", "magnum/0; rm -rf /"] as const;

export const SECRET = "[trust]\ntrustee_domain_admin_password = s3cr3t-Pa55\n";

const fileInputs: RemoteFileInputs = {
  transport: JUJU,
  unit: UNIT,
  path: "/etc/magnum/magnum-capi.conf",
  content: SECRET,
  mode: "0640",
  owner: "root",
  ownerFromService: "magnum-conductor",
  asciiOnly: true,
  restartOnChange: true,
  destroyMode: "rollback",
};
const { content: _content, ...fileStored } = fileInputs;

export const FILE_CONTRACT: KernelContract<RemoteFileInputs, RemoteFileOutputs> = {
  name: "REMOTE_FILE",
  spec: REMOTE_FILE,
  inputs: fileInputs,
  outputs: {
    ...fileStored,
    sha256: sha256(SECRET),
    liveMode: "0640",
    liveOwner: "magnum",
    expectedOwner: "magnum",
    hasOriginal: "1",
    changedAt: "",
  },
  liveReply: ok({
    changed: "1",
    expected_owner: "magnum",
    sha256: sha256(SECRET),
    mode: "0640",
    owner: "magnum",
    has_original: "1",
  }),
  id: `${UNIT}:/etc/magnum/magnum-capi.conf`,
  step: "write /etc/magnum/magnum-capi.conf",
  requires: "sha256",
  stdin: Buffer.from(SECRET, "utf8"),
  rejects: [
    HOSTILE_UNIT,
    ["path", "/etc/$(reboot)"],
    ["path", "/etc/magnum/my file.conf"],
    ["path", "etc/magnum.conf"],
    ["mode", "0644; reboot"],
    ["owner", "root'"],
    ["ownerFromService", "magnum-conductor; reboot"],
  ],
  inPlace: [
    ["mode", "0600"],
    ["owner", "magnum"],
    ["ownerFromService", ""],
    ["asciiOnly", false],
    ["restartOnChange", false],
    ["destroyMode", "remove"],
    ["content", "other"],
    ["content", UNKNOWN],
    ["mode", UNKNOWN],
  ],
  replaces: [
    ["unit", "magnum/1"],
    ["path", "/etc/magnum/other.conf"],
    ["unit", UNKNOWN],
  ],
  drifts: [
    ["sha256", "absent"],
    ["liveMode", "0644"],
    ["liveOwner", "root"],
  ],
  recordedOnly: [["destroyMode", "remove"]],
  rerun: {
    change: { content: "new" },
    stdin: Buffer.from("new"),
    reply: ok({
      changed: "1",
      expected_owner: "magnum",
      sha256: sha256("new"),
      mode: "0640",
      owner: "magnum",
      has_original: "1",
    }),
    found: { sha256: sha256("new") },
  },
  deleteBeforeReplace: true,
  refresh: {
    reply: ok({ expected_owner: "magnum", sha256: "absent", mode: "none", owner: "none", has_original: "0" }),
    found: { sha256: "absent", liveMode: "none", liveOwner: "none", hasOriginal: "0" },
  },
  // A rollback keeps a file the graft added.
  deleteCalls: [
    [{}, 1],
    [{ hasOriginal: "0" }, 0],
  ],
};

const pipInputs: PipPackageInputs = {
  transport: JUJU,
  unit: UNIT,
  package: "magnum-capi-helm",
  version: "1.4.0",
  indexUrl: "https://pypi.example.org/simple",
  entryPointGroup: "magnum.drivers",
  entryPointName: "k8s_capi_helm_v1",
  rollbackVersion: "1.3.0",
  destroyMode: "rollback",
  pythonFloor: "3.10",
  rollbackPythonFloor: "3.6",
};
const ENTRY_POINTS = "k8s_capi_helm_v1,k8s_fedora";

export const PIP_CONTRACT: KernelContract<PipPackageInputs, PipPackageOutputs> = {
  name: "PIP_PACKAGE",
  spec: PIP_PACKAGE,
  inputs: pipInputs,
  outputs: { ...pipInputs, installedVersion: "1.4.0", entryPoints: ENTRY_POINTS, changedAt: "" },
  liveReply: ok({ changed: "1", version: "1.4.0", entry_points: ENTRY_POINTS }),
  id: `${UNIT}:pip:magnum-capi-helm`,
  step: "pip install magnum-capi-helm==1.4.0",
  requires: "version",
  timeoutMs: 900_000,
  accepts: [["indexUrl", ""]],
  rejects: [
    HOSTILE_UNIT,
    ["package", "magnum capi"],
    ["version", "1.4.0; reboot"],
    ["rollbackVersion", "$(reboot)"],
    ["entryPointGroup", "magnum.drivers'"],
    ["entryPointName", "a b"],
    ["indexUrl", "https://pypi.example.org/ simple"],
    ["indexUrl", "file:///etc/passwd"],
    ["pythonFloor", "3.10; reboot"],
    ["rollbackPythonFloor", "3"],
  ],
  inPlace: [
    ["version", "1.4.1"],
    ["version", UNKNOWN],
    ["indexUrl", ""],
    ["entryPointGroup", "magnum.template_drivers"],
    ["entryPointName", "k8s_fedora"],
    ["rollbackVersion", "1.2.0"],
    ["destroyMode", "remove"],
    ["pythonFloor", "3.11"],
    ["rollbackPythonFloor", ""],
  ],
  replaces: [
    ["unit", "magnum/1"],
    ["package", "other"],
  ],
  drifts: [
    ["installedVersion", "1.3.0"],
    ["installedVersion", ""],
    ["entryPoints", "k8s_fedora"],
  ],
  recordedOnly: [
    ["destroyMode", "remove"],
    ["rollbackVersion", "1.2.0"],
    ["pythonFloor", "3.11"],
    ["rollbackPythonFloor", "3.8"],
  ],
  rerun: {
    change: { version: "1.4.1" },
    reply: ok({ version: "1.4.1", entry_points: ENTRY_POINTS }),
    found: { version: "1.4.1", installedVersion: "1.4.1" },
  },
  deleteBeforeReplace: true,
  refresh: {
    reply: ok({ version: "", entry_points: "" }),
    found: { installedVersion: "", entryPoints: "" },
  },
  deleteCalls: [[{}, 1]],
};

const helmInputs: HelmBinaryInputs = {
  transport: JUJU,
  unit: UNIT,
  version: "v3.17.3",
  tarballUrl: "https://get.helm.sh/helm-v3.17.3-linux-amd64.tar.gz",
  tarballSha256: "ee88b3c851ae6466a3de507f7be73fe94d54cbf2987cbaa3d1a3832ea331f2cd",
  installPath: "/usr/local/bin/helm",
  destroyMode: "rollback",
};
// A build suffix still is the version asked for: these outputs are no change.
const HELM_LIVE = "v3.17.3+ge4da497";

export const HELM_CONTRACT: KernelContract<HelmBinaryInputs, HelmBinaryOutputs> = {
  name: "HELM_BINARY",
  spec: HELM_BINARY,
  inputs: helmInputs,
  outputs: { ...helmInputs, liveVersion: HELM_LIVE, hasOriginal: "0" },
  liveReply: ok({ changed: "1", version: HELM_LIVE, path: helmInputs.installPath, has_original: "0" }),
  id: `${UNIT}:/usr/local/bin/helm`,
  step: "helm v3.17.3",
  requires: "version",
  accepts: [["tarballSha256", ""]],
  rejects: [
    HOSTILE_UNIT,
    ["version", "v3.17.3; reboot"],
    ["version", "3.17.3"],
    ["installPath", "/usr/local/bin/my helm"],
    ["tarballUrl", "https://get.helm.sh/helm v3.tar.gz"],
    ["tarballUrl", "ftp://get.helm.sh/helm.tar.gz"],
    ["tarballSha256", "$(reboot)"],
  ],
  inPlace: [
    ["version", "v3.18.0"],
    ["version", UNKNOWN],
    ["tarballUrl", "https://mirror.example.org/helm.tar.gz"],
    ["tarballSha256", ""],
    ["destroyMode", "remove"],
  ],
  replaces: [
    ["unit", "magnum/1"],
    ["installPath", "/usr/bin/helm"],
  ],
  drifts: [
    ["liveVersion", ""],
    ["liveVersion", "v3.16.0+gabc"],
    ["liveVersion", "v3.17.30"],
  ],
  recordedOnly: [
    ["destroyMode", "remove"],
    ["tarballUrl", "https://mirror.example.org/helm.tar.gz"],
  ],
  rerun: {
    change: { version: "v3.18.0" },
    reply: ok({ version: "v3.18.0", has_original: "1" }),
    found: { version: "v3.18.0", liveVersion: "v3.18.0", hasOriginal: "1" },
  },
  deleteBeforeReplace: true,
  refresh: { reply: ok({ version: "", path: "", has_original: "0" }), found: { liveVersion: "" } },
  // The graft added this helm (hasOriginal "0"): a rollback keeps it.
  deleteCalls: [[{}, 0]],
};

export const CONFIG_DIR = "--config-dir /etc/magnum/magnum.conf.d";
export const blockSha = (block: string) => sha256(`${block}\n`);

const blockInputs: ManagedBlockInputs = {
  transport: JUJU,
  unit: UNIT,
  path: "/etc/default/magnum-conductor",
  block: `DAEMON_ARGS="$DAEMON_ARGS ${CONFIG_DIR}"`,
  marker: "magnum-capi-graft",
  initScript: "/etc/init.d/magnum-conductor",
  showArgsMustContain: [CONFIG_DIR],
  destroyMode: "rollback",
};
const SHOW_ARGS = `--config-file /etc/magnum/magnum.conf ${CONFIG_DIR}`;

export const BLOCK_CONTRACT: KernelContract<ManagedBlockInputs, ManagedBlockOutputs> = {
  name: "MANAGED_BLOCK",
  spec: MANAGED_BLOCK,
  inputs: blockInputs,
  outputs: {
    ...blockInputs,
    liveBlockSha: blockSha(blockInputs.block),
    showArgsOk: "1",
    showArgs: SHOW_ARGS,
    changedAt: "",
  },
  liveReply: ok({
    changed: "1",
    show_args: SHOW_ARGS,
    block_sha: blockSha(blockInputs.block),
    show_args_ok: "1",
  }),
  id: `${UNIT}:/etc/default/magnum-conductor#magnum-capi-graft`,
  step: "block in /etc/default/magnum-conductor",
  requires: "block_sha",
  rejects: [
    HOSTILE_UNIT,
    ["path", "/etc/default/$(reboot)"],
    ["initScript", "/etc/init.d/magnum conductor"],
    ["marker", "graft'; reboot; '"],
    ["block", "A=1\r\nB=2"],
  ],
  inPlace: [
    ["block", "A=1"],
    ["block", UNKNOWN],
    ["initScript", "/etc/init.d/other"],
    ["showArgsMustContain", [CONFIG_DIR, "--debug"]],
    ["showArgsMustContain", [UNKNOWN]],
    ["destroyMode", "remove"],
  ],
  replaces: [
    ["unit", "magnum/1"],
    ["path", "/etc/default/other"],
    ["marker", "other"],
  ],
  drifts: [
    ["liveBlockSha", "absent"],
    ["showArgsOk", "0"],
  ],
  recordedOnly: [["destroyMode", "remove"]],
  rerun: {
    change: { block: "A=1" },
    reply: ok({ changed: "1", show_args: SHOW_ARGS, block_sha: blockSha("A=1"), show_args_ok: "1" }),
    found: { block: "A=1", liveBlockSha: blockSha("A=1") },
  },
  deleteBeforeReplace: true,
  refresh: {
    reply: ok({ block_sha: "absent", show_args_ok: "0", show_args: "" }),
    found: { liveBlockSha: "absent", showArgsOk: "0", showArgs: "" },
  },
  deleteCalls: [[{}, 1]],
};

const restartInputs: ServiceRestartInputs = {
  transport: JUJU,
  unit: UNIT,
  service: "magnum-conductor",
  when: "apply",
  triggers: ["sha-of-conf", "1.4.0"],
  configDir: "/etc/magnum/magnum.conf.d",
  driver: "k8s_capi_helm_v1",
  settleSeconds: 5,
  destroyMode: "rollback",
  apiService: "magnum-api",
  restartApi: "auto",
};
const DRIVERS = "k8s_capi_helm_v1,k8s_fedora_coreos_v1";
const RESTARTED = ok({
  restarted: "1",
  pid: "4242",
  config_dir: "1",
  drivers: DRIVERS,
  healthy: "1",
  owed: "0",
  running_version: "1.4.0",
  api_pid: "4343",
  api_owed: "0",
  api_restarted: "1",
});

/** when=apply; the provider tests derive when=destroy from it. */
export const RESTART_CONTRACT: KernelContract<ServiceRestartInputs, ServiceRestartOutputs> = {
  name: "SERVICE_RESTART",
  spec: SERVICE_RESTART,
  inputs: restartInputs,
  outputs: {
    ...restartInputs,
    healthy: "1",
    pid: "4242",
    drivers: DRIVERS,
    configDirLive: "1",
    owed: "0",
    runningVersion: "1.4.0",
    apiPid: "4343",
    apiOwed: "0",
  },
  liveReply: RESTARTED,
  id: `${UNIT}:magnum-conductor:apply`,
  step: "restart magnum-conductor",
  requires: "healthy",
  // The conductor's wait, then the API's.
  timeoutMs: 300_000,
  rejects: [
    HOSTILE_UNIT,
    ["service", "magnum-conductor; reboot"],
    ["configDir", "/etc/magnum/$(reboot)"],
    ["driver", "k8s capi"],
    ["settleSeconds", 0],
    ["settleSeconds", 1.5],
    ["rollAfter", ["magnum/1", "magnum/2 $(reboot)"]],
    ["restartApi", "yes"],
    ["apiService", "magnum-api; reboot"],
  ],
  inPlace: [
    ["triggers", ["sha-of-conf", "1.4.1"]],
    ["triggers", ["sha-of-conf", UNKNOWN]],
    ["configDir", "/etc/magnum/other.d"],
    ["driver", "other"],
    ["settleSeconds", 10],
    ["destroyMode", "remove"],
    ["restartApi", "false"],
    ["apiService", "magnum-api-wsgi"],
  ],
  replaces: [
    ["unit", "magnum/1"],
    ["service", "magnum-api"],
    ["when", "destroy"],
  ],
  drifts: [["healthy", "0"]],
  recordedOnly: [["destroyMode", "remove"]],
  rerun: { change: { triggers: ["new"] }, reply: RESTARTED, found: { triggers: ["new"] } },
  deleteBeforeReplace: false,
  refresh: {
    reply: ok({ drivers: "", healthy: "0", config_dir: "0", pid: "0", owed: "1", running_version: "1.4.0" }),
    found: {
      healthy: "0",
      pid: "0",
      drivers: "",
      configDirLive: "0",
      owed: "1",
      runningVersion: "1.4.0",
      apiPid: "",
      apiOwed: "",
    },
  },
  // The restart after a rollback is the when=destroy resource's.
  deleteCalls: [[{}, 0]],
};

const TCP: GateSpec = { kind: "tcp", host: "10.0.0.9", port: 6443 };
const gatesInputs: UnitGatesInputs = { transport: JUJU, unit: UNIT, gates: [TCP], guards: "sg-rule-1" };
const TCP_STEP = "TCP gate to 10.0.0.9:6443";
const TCP_HELD = ok({ "gate.tcp": "TCP-OK 10.0.0.9:6443" });

export const GATES_CONTRACT: KernelContract<UnitGatesInputs, UnitGatesOutputs> = {
  name: "UNIT_GATES",
  spec: UNIT_GATES,
  inputs: gatesInputs,
  outputs: { ...gatesInputs, gatesSeen: `${TCP_STEP}: TCP-OK 10.0.0.9:6443`, gatesHeld: "1" },
  liveReply: TCP_HELD,
  id: `${UNIT}:gates`,
  step: "preflight",
  rejects: [HOSTILE_UNIT],
  inPlace: [
    ["gates", [TCP, { kind: "egress", urls: ["https://pypi.org/simple/"] }]],
    ["guards", "sg-rule-2"],
    ["guards", UNKNOWN],
  ],
  replaces: [["unit", "magnum/1"]],
  drifts: [["gatesHeld", "0"]],
  recordedOnly: [],
  rerun: { change: { guards: "sg-rule-2" }, reply: TCP_HELD, found: { guards: "sg-rule-2" } },
  deleteBeforeReplace: false,
  refresh: {
    reply: ok({
      "gates.held": "0",
      "fail.step": TCP_STEP,
      "fail.expected": "TCP-OK to 10.0.0.9:6443",
      "fail.seen": "TCP-FAIL",
    }),
    found: { gatesHeld: "0", gatesSeen: `${TCP_STEP}: expected TCP-OK to 10.0.0.9:6443; saw TCP-FAIL` },
  },
  // Gates change nothing, so there is nothing to put back.
  deleteCalls: [[{}, 0]],
};

/**
 * A contract with its own input and output types sealed in, so that one loop runs them all while each
 * fixture is still type-checked against its own spec.
 */
type AnyContract = (use: <I extends Target, O extends Target>(c: KernelContract<I, O>) => void) => void;

const sealed =
  <I extends Target, O extends Target>(c: KernelContract<I, O>): AnyContract =>
  (use) =>
    use(c);

export const CONTRACTS: readonly AnyContract[] = [
  sealed(FILE_CONTRACT),
  sealed(PIP_CONTRACT),
  sealed(HELM_CONTRACT),
  sealed(BLOCK_CONTRACT),
  sealed(RESTART_CONTRACT),
  sealed(GATES_CONTRACT),
];
