import * as fs from "fs";
import * as path from "path";
import { SimUnit } from "../unit/simUnit";
import { CONFIG_NAME, JujuCall, JujuConfig, JujuKnobs } from "./config";

export { JujuCall, JujuKnobs } from "./config";

/** A generated `juju` executable (first on PATH) that reaches SimUnits the way `juju ssh` does. */
export class JujuFake {
  private constructor(
    readonly binDir: string,
    private readonly config: JujuConfig,
  ) {}

  static async create(dir: string, model: string, units: SimUnit[]): Promise<JujuFake> {
    const binDir = path.join(dir, "bin");
    const seqDir = path.join(dir, "juju-seq");
    const unitSeqDir = path.join(dir, "juju-unit-seq");
    await fs.promises.mkdir(binDir, { recursive: true });
    await fs.promises.mkdir(seqDir, { recursive: true });
    await fs.promises.mkdir(unitSeqDir, { recursive: true });
    const config: JujuConfig = {
      model,
      units: Object.fromEntries(
        units.map((u) => [u.spec.unit, { pid: u.pid, address: u.spec.address, machine: u.spec.machine }]),
      ),
      knobsFile: path.join(dir, "juju-knobs.json"),
      logFile: path.join(dir, "juju-calls.jsonl"),
      seqDir,
      unitSeqDir,
    };
    await fs.promises.writeFile(path.join(binDir, CONFIG_NAME), JSON.stringify(config, null, 2));
    await fs.promises.writeFile(config.knobsFile, "{}");
    await fs.promises.writeFile(config.logFile, "");
    const main = path.join(__dirname, "jujuMain.js");
    const script = `#!${process.execPath}\nrequire(${JSON.stringify(main)}).main(__dirname);\n`;
    await fs.promises.writeFile(path.join(binDir, "juju"), script, { mode: 0o755 });
    return new JujuFake(binDir, config);
  }

  /** Replaces the knobs; ssh-call indexes (knobs and JujuCall.index) count from 1 again after this. */
  async setKnobs(k: JujuKnobs): Promise<void> {
    const tmp = `${this.config.knobsFile}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(k));
    await fs.promises.rename(tmp, this.config.knobsFile);
    for (const dir of [this.config.seqDir, this.config.unitSeqDir]) {
      for (const f of await fs.promises.readdir(dir)) {
        await fs.promises.rm(path.join(dir, f), { force: true, recursive: true });
      }
    }
  }

  /** Every call since create, oldest first; non-ssh calls carry index 0. */
  async calls(): Promise<JujuCall[]> {
    const text = await fs.promises.readFile(this.config.logFile, "utf8");
    return text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as JujuCall);
  }
}
