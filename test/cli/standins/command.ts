import { runLocalCommand } from "../../harness/command";
import { runCommandResource } from "../../sim/natives";
import { changedKeys, serve } from "./serve";

// Stand-in for pulumi-command 1.2.1 (refused by the Go module proxy here): local.Command and
// local.run, run the way that provider runs them (docs/design.md#pulumi-command): `create` on
// create, `update` (else `create`) on a change, a replacement when `triggers` change, `delete` on
// delete.

const INPUTS = ["create", "update", "delete", "interpreter", "dir", "environment", "stdin", "triggers"];

serve({
  version: "1.2.1",
  async diff(_id, _urn, olds, news) {
    const changed = changedKeys(olds, news, INPUTS);
    return { changes: changed.length > 0, replaces: changed.filter((k) => k === "triggers") };
  },
  async create(urn, inputs) {
    return { id: urn.split("::").pop() ?? "command", outs: await runCommandResource(inputs, false) };
  },
  async update(_id, _urn, _olds, news) {
    return { outs: await runCommandResource(news, true) };
  },
  async delete(_id, _urn, props) {
    if (props.delete) await runLocalCommand(props, String(props.delete));
  },
  async invoke(token, inputs) {
    if (token !== "command:local:run") throw new Error(`unknown function ${token}`);
    return { outputs: { ...inputs, ...(await runLocalCommand(inputs, String(inputs.command))) } };
  },
});
