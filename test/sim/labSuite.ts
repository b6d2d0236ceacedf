import { JujuCall } from "./juju/config";
import { Lab, LabOptions } from "./lab";

/**
 * A lab for the enclosing mocha suite: started before it, stopped after it, with the providers'
 * progress lines muted meanwhile (they would bury mocha's report). Returns the running lab.
 */
export function quietLab(o: LabOptions): () => Lab {
  let lab: Lab | undefined;
  const log = console.log;
  before(async () => {
    lab = await Lab.start(o);
    console.log = () => undefined;
  });
  after(async () => {
    console.log = log;
    await lab?.stop();
  });
  return () => {
    if (!lab) throw new Error("the lab has not started");
    return lab;
  };
}

/** The `juju ssh` calls (not `juju status`) an operation made on the lab's units. */
export async function unitCalls(lab: Lab, run: () => Promise<unknown>): Promise<JujuCall[]> {
  const before = (await lab.juju.calls()).length;
  await run();
  return (await lab.juju.calls()).slice(before).filter((c) => c.index > 0);
}
