import * as pulumi from "@pulumi/pulumi";
import { mustMatch, PATTERNS } from "../../core/shell";
import { sha256 } from "../diffing";
import { RemoteScript, remoteResource, UndoableArgs } from "../kernel";
import { need } from "../remote";
import { applyScript, deleteScript, measureScript } from "./scripts";
import { ManagedBlockInputs, ManagedBlockOutputs } from "./types";

export { ManagedBlockInputs, ManagedBlockOutputs } from "./types";

const blockSha = (block: string) => sha256(`${block}\n`);

export const MANAGED_BLOCK: RemoteScript<ManagedBlockInputs, ManagedBlockOutputs> = {
  replaceKeys: ["path", "marker"],
  applyKeys: ["block", "initScript", "showArgsMustContain"],
  recordKeys: ["destroyMode"],
  deleteBeforeReplace: true,
  tracksChanges: true,
  checkProperty: "block",
  validate(i) {
    mustMatch("path", i.path, PATTERNS.absPath, "an absolute path");
    mustMatch("initScript", i.initScript, PATTERNS.absPath, "an absolute path");
    mustMatch("marker", i.marker, /^[A-Za-z0-9 ._-]+$/, "a plain marker name");
    if (/\r|\0/.test(i.block)) throw new Error("block: carriage returns and NUL bytes are not allowed");
    for (const want of i.showArgsMustContain) {
      if (want === "" || /[\r\n\0]/.test(want))
        throw new Error("showArgsMustContain: expected non-empty single-line strings");
    }
  },
  id: (i) => `${i.unit}:${i.path}#${i.marker}`,
  drifted: (olds, news) => olds.liveBlockSha !== blockSha(news.block) || olds.showArgsOk !== "1",
  apply: (i) => ({ step: `block in ${i.path}`, body: applyScript(i), timeoutSeconds: 60 }),
  measure: (p) => ({ step: `measure ${p.path}`, body: measureScript(p), timeoutSeconds: 60 }),
  remove: (p) => ({
    step: `restore ${p.path} (${p.destroyMode})`,
    body: deleteScript(p),
    timeoutSeconds: 60,
  }),
  live: (r, step, unit) => ({
    liveBlockSha: need(r, "block_sha", step, unit),
    showArgsOk: need(r, "show_args_ok", step, unit),
    showArgs: r.show_args ?? "",
  }),
  verify: (live, i) =>
    live.liveBlockSha === blockSha(i.block) && live.showArgsOk === "1"
      ? undefined
      : {
          expected: `the block (sha256 ${blockSha(i.block)}) and show-args showing ${i.showArgsMustContain.join(" and ")}`,
          seen: `sha256 ${live.liveBlockSha} and show-args ${live.showArgs}: it did not verify after writing`,
        },
};

export interface ManagedBlockArgs extends UndoableArgs {
  readonly path: pulumi.Input<string>;
  readonly block: pulumi.Input<string>;
  readonly marker: pulumi.Input<string>;
  readonly initScript: pulumi.Input<string>;
  readonly showArgsMustContain: pulumi.Input<pulumi.Input<string>[]>;
}

/** A marked block inside a file others also write, verified by the init script's dry run. */
export class ManagedBlock extends remoteResource<ManagedBlockArgs, ManagedBlockInputs, ManagedBlockOutputs>(
  "ManagedBlock",
  MANAGED_BLOCK,
  ["liveBlockSha", "showArgsOk", "showArgs", "changedAt"],
) {
  declare readonly changedAt: pulumi.Output<string>;
  declare readonly liveBlockSha: pulumi.Output<string>;
  declare readonly showArgs: pulumi.Output<string>;
}
