import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HOST_PYTHON, SIM_FILES } from "./paths";
import { run, waitGone } from "./processes";

export interface Artifacts {
  /** magnum and everything it and the driver import, installed once; each unit mounts it read-only. */
  stack: string;
  indexDir: string;
  helmTarballs: Record<string, { file: string; sha256: string }>;
}

const PYTHON_INPUTS = ["fetch_python.py", "magnum-stack.txt"];
const BUILD_INPUTS = ["build_artifacts.py", "helm.py"];

function inputHash(inputs: string[], extra: string): string {
  const hash = crypto.createHash("sha256").update(extra).update("\0");
  for (const rel of inputs)
    hash
      .update(rel)
      .update("\0")
      .update(fs.readFileSync(path.join(SIM_FILES, rel)))
      .update("\0");
  return hash.digest("hex").slice(0, 16);
}

/** Runs `script staging ...args` unless root exists, then renames staging to root, so readers never see a partial build. */
async function buildOnce(root: string, what: string, script: string, args: string[]): Promise<void> {
  if (fs.existsSync(root)) return;
  const staging = `${root}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  const res = await run(HOST_PYTHON, ["-I", path.join(SIM_FILES, script), staging, ...args]);
  if (res.code !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`building ${what} failed (${script} exit ${res.code}): ${res.stderr.toString()}`);
  }
  try {
    fs.renameSync(staging, root);
  } catch {
    // A concurrent build won the rename; its result is identical.
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function describe(root: string, python: string): Artifacts {
  const helmDir = path.join(root, "helm");
  const helmTarballs: Artifacts["helmTarballs"] = {};
  for (const name of fs.readdirSync(helmDir)) {
    const m = /^helm-(v[0-9.]+)-linux-amd64\.tar\.gz$/.exec(name);
    if (!m) continue;
    const sha256 = fs.readFileSync(path.join(helmDir, `${name}.sha256sum`), "utf8").split(/\s+/)[0];
    helmTarballs[m[1]] = { file: path.join(helmDir, name), sha256 };
  }
  return {
    stack: path.join(python, "stack"),
    indexDir: path.join(root, "simple"),
    helmTarballs,
  };
}

/**
 * Fetches the pinned python (PyPI) into the machine cache once per pin set and host python, and builds the
 * index and helm tarballs once per content hash; later calls reuse both.
 */
export async function buildArtifacts(): Promise<Artifacts> {
  const version = execFileSync(HOST_PYTHON, [
    "-I",
    "-c",
    "import platform; print(platform.python_version())",
  ]);
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  const python = path.join(
    cache,
    "magnum-capi-graft",
    `sim-python-${inputHash(PYTHON_INPUTS, version.toString())}`,
  );
  fs.mkdirSync(path.dirname(python), { recursive: true });
  await buildOnce(python, "the sim python stack from PyPI", "fetch_python.py", []);
  const wheelhouse = path.join(python, "wheels");
  const root = path.join(
    os.tmpdir(),
    `magnum-capi-graft-sim-artifacts-${inputHash(BUILD_INPUTS, wheelhouse)}`,
  );
  await buildOnce(root, "sim artifacts", "build_artifacts.py", [wheelhouse]);
  return describe(root, python);
}

/** Static HTTP server (a child python process) for the PEP 503 index and the helm tarballs. */
export class ArtifactServer {
  private constructor(
    readonly pid: number,
    readonly baseUrl: string,
  ) {}

  static start(a: Artifacts): Promise<ArtifactServer> {
    const root = path.dirname(a.indexDir);
    const child = spawn(
      HOST_PYTHON,
      ["-I", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root],
      {
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    return new Promise((resolve, reject) => {
      let seen = "";
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`ArtifactServer did not report its port: ${seen}`));
      }, 10000);
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`ArtifactServer exited early (${code}): ${seen}`)));
      child.stdout.on("data", (b: Buffer) => {
        seen += b.toString();
        const m = / port (\d+) /.exec(seen);
        if (m && child.pid !== undefined) {
          clearTimeout(timer);
          child.stdout.resume();
          resolve(new ArtifactServer(child.pid, `http://127.0.0.1:${m[1]}`));
        }
      });
    });
  }

  indexUrl(): string {
    return `${this.baseUrl}/simple/`;
  }

  helmUrl(version: string): string {
    return `${this.baseUrl}/helm/helm-${version}-linux-amd64.tar.gz`;
  }

  async stop(): Promise<void> {
    try {
      process.kill(this.pid, "SIGTERM");
    } catch {
      return;
    }
    if (!(await waitGone(this.pid, 5000))) process.kill(this.pid, "SIGKILL");
  }
}
