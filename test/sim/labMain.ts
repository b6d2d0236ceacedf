import { Op } from "../harness/engine";
import { Lab } from "./lab";

// `npm run lab`: the graft's preview, up, no-op up and destroy against a SIMULATED conductor.

const changed = (ops: Op[]) => ops.filter((o) => o.op !== "same" && o.op !== "read");

async function main(): Promise<void> {
  console.log(
    "magnum-capi-graft lab: the conductor, juju, OpenStack and the management cluster are SIMULATED on this machine.",
  );
  const lab = await Lab.start();
  try {
    const engine = lab.engine();
    const step = async (title: string, run: () => Promise<Op[]>) => {
      const started = Date.now();
      const ops = await run();
      console.log(`\n== ${title}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const o of changed(ops)) console.log(`   ${o.op.padEnd(7)} ${o.name}`);
      if (changed(ops).length === 0) console.log("   (nothing to change)");
    };
    await step("preview", async () => (await engine.up(lab.config(), { preview: true })).ops);
    await step("up", async () => (await engine.up(lab.config())).ops);
    const drivers = await lab.units[0].sh("magnum-driver-manage list-drivers", { user: "root" });
    console.log(drivers.stdout.trim());
    await step("up again (no-op)", async () => (await engine.up(lab.config())).ops);
    await step("destroy (rollback)", () => engine.destroy());
    const version = await lab.units[0].sh("python3 -m pip show magnum-capi-helm | sed -n 's/^Version: //p'", {
      user: "root",
    });
    console.log(`driver after rollback: ${version.stdout.trim()}`);
  } finally {
    await lab.stop();
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exitCode = 1;
});
