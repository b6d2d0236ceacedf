import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { StderrLines } from "../../providers/transport/transport";

// A dynamic provider runs as the text Pulumi's closure serialization makes of it, not as this module:
// StderrLines must keep working in that form (a class field initializer would be dropped there).
describe("StderrLines as a dynamic provider runs it", () => {
  it("passes progress lines on and keeps the rest, serialized and revived", async () => {
    const split = () => {
      const progress: string[] = [];
      const lines = new StderrLines({ timeoutMs: 1000, onProgress: (l) => progress.push(l) });
      lines.push("@@progress restar");
      lines.push("ting magnum-api\nwarn");
      lines.push("ing: one\n@@progress done");
      return { progress, kept: lines.end() };
    };
    const serialized = await pulumi.runtime.serializeFunction(split);
    const mod = { exports: {} as Record<string, () => ReturnType<typeof split>> };
    new Function("module", "exports", "require", serialized.text)(mod, mod.exports, require);
    const revived = mod.exports[serialized.exportName]();
    assert.deepEqual(revived, { progress: ["restarting magnum-api", "done"], kept: "warning: one\n" });
    assert.deepEqual(revived, split());
  });
});
