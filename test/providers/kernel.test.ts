// What RemoteScriptProvider promises for every spec, one fixture per spec (contracts.ts); each
// provider's own test file keeps what is its alone: its scripts, their quoting, the failures only it has.
import assert from "assert/strict";
import { TransportSpec } from "../../core/transportSpec";
import { RemoteScriptProvider } from "../../providers/kernel";
import { parseResults, Target } from "../../providers/remote";
import { RunResult } from "../../providers/transport/transport";
import { CONTRACTS, KernelContract } from "./contracts";
import {
  deleteCallCount,
  FakeTransport,
  itRejects,
  itReplaces,
  itReportsFailuresOf,
  itUpdatesInPlace,
  noIo,
  parseErrors,
  scriptOf,
  UNIT,
} from "./harness";

/** The unit reached another way: nothing on it changes. */
const ELSEWHERE: readonly TransportSpec[] = [
  { kind: "direct", host: "10.0.0.5", port: 22, user: "ubuntu", privateKeyPath: "/k", knownHostsPath: "/kh" },
  {
    kind: "jumphost",
    model: "openstack",
    host: "10.0.0.9",
    port: 22,
    user: "ubuntu",
    privateKeyPath: "/k",
    knownHostsPath: "/kh",
  },
];

describe("the kernel's contract, per spec", () => {
  for (const contract of CONTRACTS) contract(describeContract);
});

function describeContract<I extends Target, O extends Target>(c: KernelContract<I, O>): void {
  const idle = new RemoteScriptProvider(c.spec, noIo);
  const noChange = {
    changes: false,
    replaces: [],
    ...(c.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
  };

  /** `outs` with `changedAt` as the fixtures write it, once checked: only a real change moves it. */
  const settled = (outs: O | undefined, reply: RunResult): Record<string, unknown> => {
    const o: Record<string, unknown> = { ...outs };
    if ("changedAt" in c.outputs && parseResults(reply.stdout).changed === "1") {
      assert.match(String(o.changedAt), /^\d{4}-\d\d-\d\dT/, "a real change moves changedAt");
      o.changedAt = "";
    }
    return o;
  };

  describe(c.name, () => {
    describe("check", () => {
      it("passes valid inputs through", async () => {
        assert.deepEqual(await idle.check(c.inputs, c.inputs), { inputs: c.inputs });
      });

      for (const [key, value] of c.accepts ?? []) {
        it(`passes ${key}=${JSON.stringify(value)} through`, async () => {
          const news = { ...c.inputs, [key]: value };
          assert.deepEqual(await idle.check(c.inputs, news), { inputs: news });
        });
      }

      itRejects(idle, c.inputs, c.rejects);
    });

    describe("diff", () => {
      it("sees no change when the unit matches the inputs", async () => {
        assert.deepEqual(await idle.diff("id", c.outputs, c.inputs), noChange);
      });

      itUpdatesInPlace(idle, c.outputs, c.inputs, c.inPlace);
      itReplaces(idle, c.outputs, c.inputs, c.replaces);

      for (const [key, value] of c.drifts) {
        it(`sees drift when read found ${key}=${JSON.stringify(value)}`, async () => {
          const d = await idle.diff("id", { ...c.outputs, [key]: value }, c.inputs);
          assert.deepEqual([d.changes, d.replaces], [true, []]);
        });
      }

      for (const transport of ELSEWHERE) {
        it(`changes in place, never replaces, for a ${transport.kind} transport`, async () => {
          assert.deepEqual(await idle.diff("id", c.outputs, { ...c.inputs, transport }), {
            ...noChange,
            changes: true,
          });
        });
      }
    });

    describe("create", () => {
      it(`applies in one call ${c.stdin ? "with its payload as stdin" : "without stdin"} and records what it measured`, async () => {
        const t = new FakeTransport(() => c.liveReply);
        const r = await new RemoteScriptProvider(c.spec, t.connect).create(c.inputs);
        assert.equal(t.calls.length, 1);
        const [call] = t.calls;
        assert.equal(call.unit, UNIT);
        assert.deepEqual(call.opts.stdin, c.stdin);
        if (c.timeoutMs !== undefined) assert.equal(call.opts.timeoutMs, c.timeoutMs);
        assert.equal(parseErrors(scriptOf(call)), "");
        assert.equal(r.id, c.id);
        assert.deepEqual(settled(r.outs, c.liveReply), c.outputs);
      });

      itReportsFailuresOf(
        c.step,
        (t) => new RemoteScriptProvider(c.spec, t.connect).create(c.inputs),
        c.requires,
      );
    });

    describe("update", () => {
      it(`reruns the apply in one call when ${Object.keys(c.rerun.change).join(", ")} changed`, async () => {
        const t = new FakeTransport(() => c.rerun.reply);
        const news = { ...c.inputs, ...c.rerun.change };
        const r = await new RemoteScriptProvider(c.spec, t.connect).update("id", c.outputs, news);
        assert.equal(t.calls.length, 1);
        assert.deepEqual(t.calls[0].opts.stdin, c.rerun.stdin);
        assert.deepEqual(settled(r.outs, c.rerun.reply), { ...c.outputs, ...c.rerun.found });
      });

      for (const [key, value] of c.recordedOnly) {
        it(`touches nothing when only ${key} changed`, async () => {
          const r = await idle.update("id", c.outputs, { ...c.inputs, [key]: value });
          assert.deepEqual(r.outs, { ...c.outputs, [key]: value });
        });
      }

      for (const transport of ELSEWHERE) {
        it(`records a ${transport.kind} transport without a call: nothing on the unit changes`, async () => {
          const r = await idle.update("id", c.outputs, { ...c.inputs, transport });
          assert.deepEqual(r.outs, { ...c.outputs, transport });
        });
      }
    });

    describe("read", () => {
      it("refuses a refresh without recorded state, naming the id", async () => {
        await assert.rejects(idle.read(c.id), (e: Error) => {
          assert.equal(e.message, `refresh of ${c.id}: no recorded state to measure from`);
          return true;
        });
      });

      it("re-measures in one call without stdin and records what it found", async () => {
        const t = new FakeTransport(() => c.refresh.reply);
        const r = await new RemoteScriptProvider(c.spec, t.connect).read(c.id, c.outputs);
        assert.equal(t.calls.length, 1);
        assert.equal(t.calls[0].opts.stdin, undefined);
        assert.equal(parseErrors(scriptOf(t.calls[0])), "");
        assert.deepEqual(r, { id: c.id, props: { ...c.outputs, ...c.refresh.found } });
      });
    });

    describe("delete", () => {
      for (const [changes, calls] of c.deleteCalls) {
        const what = Object.entries(changes).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
        it(`makes ${calls === 0 ? "no call" : `${calls} call`} to delete the outputs${what.length ? ` with ${what.join(", ")}` : ""}`, async () => {
          const props = { ...c.outputs, ...changes };
          assert.equal(
            await deleteCallCount((connect) => new RemoteScriptProvider(c.spec, connect), props),
            calls,
          );
        });
      }
    });
  });
}
