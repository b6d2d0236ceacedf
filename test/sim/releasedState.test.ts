import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { MiniEngine, mutations, StateEntry } from "../harness/engine";
import { assertGrafted, assertRemoved, onUnit } from "./gates";
import { quietLab, unitCalls } from "./labSuite";
import { apiPid } from "./unit/api";

// Users' stacks hold state written by the providers we released. Each fixture is what one release
// wrote on a fresh one-unit graft: its serialized providers (the code a delete runs) and its outputs.
// The current program must update that state in place, without a restart, and destroy it.

interface Released {
  readonly capturedFrom: string;
  readonly providers: Record<string, string>;
  readonly resources: Record<string, { readonly type: string; readonly outputs: Record<string, unknown> }>;
}

const load = (file: string): Released =>
  JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../../test/fixtures", file), "utf8"));

/** The gates the releases kept as resources of their own; they now run inside the steps they guard. */
const isRetiredGate = (type: string) => type.endsWith(":RemoteCheck");

/**
 * Each release, and what the first refresh by the current code adds after an update that recorded
 * destroyMode (and reran the restart, for the API it now restarts too): whether the graft keeps the
 * drop-in's and helm's originals (recorded since stop 15).
 */
const RELEASES: readonly [string, string, string[]][] = [
  [
    "before the remote-script kernel",
    "pre-kernel-providers.json",
    ["magnum-0-access-helm", "magnum-0-config-drop-in"],
  ],
  [
    "with the gates as resources of their own (stop 15)",
    "stop15-providers.json",
    ["magnum-0-access-helm", "magnum-0-config-drop-in"],
  ],
];

for (const [label, file, measuredSince] of RELEASES) {
  describe(`state written by the released providers ${label}`, function () {
    this.timeout(600_000);
    const released = load(file);
    const names = Object.keys(released.resources).sort();
    const retired = names.filter((n) => isRetiredGate(released.resources[n].type));
    const running = quietLab({ units: [{}] });

    /** The dynamic resources in state whose serialized provider is the released one. */
    function writtenByRelease(engine: MiniEngine): string[] {
      return [...engine.state.values()]
        .filter((e) => e.type.startsWith("pulumi-nodejs:dynamic"))
        .filter((e) => e.outputs.__provider === released.providers[e.type.split(":").pop() ?? ""])
        .map((e) => e.name)
        .sort();
    }

    /**
     * A fresh graft as the release left it: the steps written by its code, with the outputs' shape it
     * recorded, and its gates beside them (their delete is the released code's: it does nothing).
     */
    async function graftByRelease(engine: MiniEngine, config: Record<string, unknown>): Promise<void> {
      engine.useProviders(released.providers, names);
      await engine.up(config);
      engine.useProviders({});
      for (const e of engine.state.values()) {
        // A unit's first gates became a resource of their own after these releases.
        if (e.type.endsWith(":UnitGates")) engine.state.delete(e.urn);
        const r = released.resources[e.name];
        if (!r) continue;
        // What the program sent since the release, the released program never did.
        const keep = (o: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(o).filter(([k]) => k === "__provider" || k in r.outputs));
        engine.state.set(e.urn, { ...e, inputs: keep(e.inputs), outputs: keep(e.outputs) });
      }
      for (const name of retired) engine.state.set(...retiredGate(engine, name));
      assert.deepEqual(writtenByRelease(engine), names);
      for (const e of engine.state.values()) {
        const r = released.resources[e.name];
        if (!r) continue;
        assert.deepEqual(
          Object.keys(e.outputs).sort(),
          ["__provider", ...Object.keys(r.outputs)].sort(),
          e.name,
        );
      }
    }

    /** A released gate's state entry, under the component of the step that now runs it. */
    function retiredGate(engine: MiniEngine, name: string): [string, StateEntry] {
      const component = name.startsWith("compatibility-")
        ? "compatibility"
        : name.split("-").slice(0, 3).join("-");
      const sibling = [...engine.state.values()].find((e) => e.name.startsWith(`${component}-`));
      assert.ok(sibling, `a resource under ${component}`);
      const { type, outputs } = released.resources[name];
      const urn = sibling.urn.replace(/\$[^$]+::[^$]+$/, `$${type}::${name}`);
      const entry: StateEntry = {
        urn,
        type,
        name,
        kind: "register",
        id: `${String(outputs.unit)}:${String((outputs.check as { kind: string }).kind)}`,
        inputs: outputs,
        outputs: { ...outputs, __provider: released.providers.RemoteCheck },
        retainOnDelete: false,
        deletedWith: "",
        secretInputs: [],
        additionalSecretOutputs: [],
        deps: [],
      };
      return [urn, entry];
    }

    it("updates in place: the steps rerun their gates, the released gates go, only the API restarts", async () => {
      const lab = running();
      const engine = lab.engine();
      const u = lab.units[0];
      const original = await u.readFile("/etc/magnum/magnum.conf");
      await graftByRelease(engine, lab.config());
      await assertGrafted(lab, u);
      // The released gates' recorded values are the capture lab's (its ports): only the steps count.
      const steps = (changed: string[]) => changed.filter((n) => !retired.includes(n));
      assert.deepEqual(
        steps(await engine.refresh()),
        [],
        "the released code refreshes its own state unchanged",
      );
      const pid = await u.daemonPid();
      const api = await apiPid(u);
      let ops: string[] = [];
      const calls = await unitCalls(lab, async () => {
        ops = mutations((await engine.up(lab.config())).ops);
      });
      assert.deepEqual(
        ops.sort(),
        [
          "magnum-0-preflight-gates:create",
          "magnum-0-access-kubeconfig:update",
          "magnum-0-install-driver:update",
          // The releases never restarted magnum-api, which may still hold the pre-graft driver list.
          "magnum-0-service-restart:update",
          "magnum-0-preflight-restart-after-destroy:update",
          ...retired.map((n) => `${n}:delete`),
        ].sort(),
      );
      // helm runs no gate since the TCP gate joined the kubeconfig's step: its released state stands.
      assert.equal(
        calls.length,
        4,
        "the preflight's gates, one call per gated step and the API's restart, none for the released gates",
      );
      const driver = [...engine.state.values()].find((e) => e.name === "magnum-0-install-driver");
      assert.deepEqual(
        [driver?.outputs.pythonFloor, driver?.outputs.rollbackPythonFloor],
        ["3.10", "3.6"],
        "the Python floors, which the release did not record, recorded in place",
      );
      assert.equal(await u.daemonPid(), pid, "no conductor restart");
      assert.notEqual(await apiPid(u), api, "the API restarted");
      assert.deepEqual(await engine.refresh(), []);
      assert.deepEqual(mutations((await engine.up(lab.config())).ops), [], "then a no-op");
      await engine.destroy();
      assert.deepEqual(await u.readFile("/etc/magnum/magnum.conf"), original);
      assert.equal(
        await onUnit(u, "python3 -m pip show magnum-capi-helm | sed -n 's/^Version: //p'"),
        "1.3.0",
      );
      assert.equal(await onUnit(u, "systemctl is-active magnum-conductor"), "active");
    });

    it("destroys with the released code where it still is (remove mode)", async () => {
      const lab = running();
      const engine = lab.engine();
      const u = lab.units[0];
      await graftByRelease(engine, lab.config());
      await engine.up(lab.config({ destroyMode: "remove" }));
      assert.deepEqual(
        writtenByRelease(engine).filter((n) => n.startsWith("magnum-0-")),
        [],
        "every step of the unit now carries the current code",
      );
      assert.deepEqual(await engine.refresh(), measuredSince);
      await assertGrafted(lab, u);
      await engine.destroy();
      await assertRemoved(lab, u);
    });
  });
}
