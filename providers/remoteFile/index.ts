import * as pulumi from "@pulumi/pulumi";
import { mustMatch, PATTERNS } from "../../core/shell";
import { containsUnknown, sha256 } from "../diffing";
import { GatedArgs, RemoteScript, remoteResource, restoreUnlessAdded, UndoableArgs } from "../kernel";
import { need } from "../remote";
import { applyScript, measureScript, restoreScript } from "./scripts";
import { RemoteFileInputs, RemoteFileOutputs } from "./types";

export { RemoteFileInputs, RemoteFileOutputs } from "./types";

export const REMOTE_FILE: RemoteScript<RemoteFileInputs, RemoteFileOutputs> = {
  replaceKeys: ["path"],
  applyKeys: ["mode", "owner", "ownerFromService", "asciiOnly", "restartOnChange"],
  recordKeys: ["destroyMode"],
  deleteBeforeReplace: true,
  unstored: ["content"],
  tracksChanges: true,
  checkProperty: "path",
  validate(i) {
    mustMatch("path", i.path, PATTERNS.absPath, "an absolute path of [A-Za-z0-9._/-]");
    mustMatch("mode", i.mode, PATTERNS.fileMode, "an octal mode like 0644");
    mustMatch("owner", i.owner, PATTERNS.userName, "a user name");
    if (i.ownerFromService)
      mustMatch("ownerFromService", i.ownerFromService, PATTERNS.serviceName, "a unit name");
  },
  id: (i) => `${i.unit}:${i.path}`,
  drifted: (olds, news) =>
    containsUnknown(news.content) ||
    sha256(news.content) !== olds.sha256 ||
    olds.liveMode !== news.mode ||
    olds.liveOwner !== olds.expectedOwner,
  apply: (i) => ({
    step: `write ${i.path}`,
    body: applyScript(i),
    stdin: Buffer.from(i.content, "utf8"),
    timeoutSeconds: 120,
  }),
  measure: (p) => ({ step: `measure ${p.path}`, body: measureScript(p), timeoutSeconds: 60 }),
  remove: (p) =>
    restoreUnlessAdded(p, {
      step: `restore ${p.path} (${p.destroyMode})`,
      body: restoreScript(p),
      timeoutSeconds: 60,
    }),
  live: (r, step, unit) => ({
    sha256: need(r, "sha256", step, unit),
    liveMode: need(r, "mode", step, unit),
    liveOwner: need(r, "owner", step, unit),
    expectedOwner: need(r, "expected_owner", step, unit),
    hasOriginal: need(r, "has_original", step, unit),
  }),
  verify: (live, i) =>
    live.sha256 === sha256(i.content)
      ? undefined
      : { expected: `sha256 ${sha256(i.content)} on the unit`, seen: live.sha256 ?? "none" },
};

export interface RemoteFileArgs extends UndoableArgs, GatedArgs {
  readonly path: pulumi.Input<string>;
  readonly content: pulumi.Input<string>;
  /** The content is a secret (pass it as a secret Output): its hash is then kept secret too. */
  readonly secret?: boolean;
  readonly mode: pulumi.Input<string>;
  readonly owner?: pulumi.Input<string>;
  readonly ownerFromService?: pulumi.Input<string>;
  readonly asciiOnly?: pulumi.Input<boolean>;
  readonly restartOnChange?: pulumi.Input<boolean>;
}

/** A whole file with exact content, owner and mode; its pre-graft state is what destroy puts back. */
/** The resource as the provider sees it: the `secret` flag is the program's, not an input. */
const RemoteFileResource = remoteResource<
  Omit<RemoteFileArgs, "secret">,
  RemoteFileInputs,
  RemoteFileOutputs
>("RemoteFile", REMOTE_FILE, [
  "sha256",
  "liveMode",
  "changedAt",
  "liveOwner",
  "expectedOwner",
  "hasOriginal",
  "gatesSeen",
]);

export class RemoteFile extends RemoteFileResource {
  declare readonly changedAt: pulumi.Output<string>;
  declare readonly sha256: pulumi.Output<string>;
  declare readonly expectedOwner: pulumi.Output<string>;
  declare readonly gatesSeen: pulumi.Output<string | undefined>;

  constructor(name: string, args: RemoteFileArgs, opts?: pulumi.CustomResourceOptions) {
    const { secret, ...inputs } = args;
    const secretOutputs = [...(opts?.additionalSecretOutputs ?? []), ...(secret ? ["sha256"] : [])];
    super(
      name,
      { owner: "root", ownerFromService: "", asciiOnly: false, restartOnChange: true, ...inputs },
      { ...opts, additionalSecretOutputs: secretOutputs },
    );
  }
}
