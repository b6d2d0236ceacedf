import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";

/** What the engine sends for a value that is not known yet (during preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Keys whose desired value differs from the recorded one; an unknown desired value counts as changed. */
export function changedKeys(olds: object, news: object, keys: readonly string[]): string[] {
  const o = olds as Record<string, unknown>;
  const n = news as Record<string, unknown>;
  return keys.filter((k) => containsUnknown(n[k]) || JSON.stringify(o[k]) !== JSON.stringify(n[k]));
}

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** check: a value that cannot reach a remote shell safely comes back as a failure, not an exception. */
export function checkInputs<T>(
  news: T,
  validate: (i: T) => void,
  property: string,
): pulumi.dynamic.CheckResult {
  try {
    if (!containsUnknown(news)) validate(news);
  } catch (e) {
    return { failures: [{ property, reason: (e as Error).message }] };
  }
  return { inputs: news };
}
