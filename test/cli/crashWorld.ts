import { KubeApiServer, kubeUnavailable, startKubeApiServer } from "../kube/apiserver";
import { PreGraft } from "../sim/gates";
import { Lab } from "../sim/lab";
import { SimUnit } from "../sim/unit/simUnit";
import { CliStack } from "./cli";
import { disarm } from "./crash";

// One world for a crash scenario: simulated units with site content the rollback must give back
// byte for byte, a fresh file backend, the fake juju recording which CLI made each call.

export const SITE_DEFAULT = "# site tuning kept by the graft\nexport OS_DEBUG=0\n";

export interface CrashWorld {
  readonly lab: Lab;
  readonly cli: CliStack;
  readonly original: Map<SimUnit, PreGraft>;
  stop(): Promise<void>;
}

/** The management cluster; undefined (and why, printed) when its binaries are missing. */
export async function crashApiServer(tier: string): Promise<KubeApiServer | undefined> {
  const missing = kubeUnavailable(tier);
  if (missing) {
    console.log(`    ${tier} skipped: ${missing}`);
    return undefined;
  }
  return startKubeApiServer();
}

export async function crashWorld(kube: KubeApiServer, units: number): Promise<CrashWorld> {
  const lab = await Lab.start({
    units: Array.from({ length: units }, () => ({ etcDefault: SITE_DEFAULT })),
    kube,
  });
  let cli: CliStack | undefined;
  try {
    cli = await CliStack.create();
    cli.setConfig(lab.config());
    await disarm(lab);
    const original = new Map<SimUnit, PreGraft>();
    for (const u of lab.units) {
      original.set(u, {
        etcDefault: await u.readFile("/etc/default/magnum-conductor"),
        magnumConf: await u.readFile("/etc/magnum/magnum.conf"),
      });
    }
    const made = cli;
    return {
      lab,
      cli: made,
      original,
      stop: async () => {
        made.remove();
        await lab.stop();
      },
    };
  } catch (e) {
    cli?.remove();
    await lab.stop();
    throw e;
  }
}
