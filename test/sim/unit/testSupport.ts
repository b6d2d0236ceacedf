import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Artifacts, buildArtifacts } from "./artifacts";

let shared: Promise<Artifacts> | undefined;

/** One artifact set per mocha process, shared by every sim test file. */
export function sharedArtifacts(): Promise<Artifacts> {
  shared ??= buildArtifacts();
  return shared;
}

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sim-${tag}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function readIfExists(p: string): Promise<string | undefined> {
  return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined;
}
