import { spawn } from "child_process";

/**
 * Runs a @pulumi/command local command the way its provider does: the interpreter (default
 * `/bin/sh -c`) in the program's cwd, the environment plus `environment`, `stdin` when set.
 */
export function runLocalCommand(
  inputs: Record<string, unknown>,
  text: string,
): Promise<{ stdout: string; stderr: string }> {
  const interpreter = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
  const env = { ...process.env, ...((inputs.environment as Record<string, string> | undefined) ?? {}) };
  return new Promise((resolve, reject) => {
    const child = spawn(interpreter[0], [...interpreter.slice(1), text], {
      env,
      stdio: [inputs.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve({ stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") });
      else reject(new Error(`local command exited ${code}: ${stderr.trim() || stdout.trim()}`));
    });
    if (inputs.stdin && child.stdin) child.stdin.end(String(inputs.stdin));
  });
}
