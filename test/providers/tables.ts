import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";

// The check/diff tables every provider's tests share: one row per input value, one test per row.

interface CheckDiff<I, O> {
  check(olds: I, news: I): Promise<pulumi.dynamic.CheckResult>;
  diff(id: string, olds: O, news: I): Promise<pulumi.dynamic.DiffResult>;
}

type Rows = ReadonlyArray<readonly [string, unknown]>;

/** check() refuses each value with one failure that names its key, and passes no inputs on. */
export function itRejects<I extends object, O>(p: CheckDiff<I, O>, inputs: I, rows: Rows): void {
  for (const [key, value] of rows) {
    it(`reports ${key}=${JSON.stringify(value)} as a failure`, async () => {
      const r = await p.check(inputs, { ...inputs, [key]: value });
      assert.equal(r.inputs, undefined);
      assert.equal(r.failures?.length, 1);
      assert.match(r.failures?.[0].reason ?? "", new RegExp(key));
    });
  }
}

/** diff() sees a change it makes in place. */
export function itUpdatesInPlace<I extends object, O>(
  p: CheckDiff<I, O>,
  olds: O,
  inputs: I,
  rows: Rows,
): void {
  for (const [key, value] of rows) {
    it(`changes in place for ${key}=${JSON.stringify(value)}`, async () => {
      const d = await p.diff("id", olds, { ...inputs, [key]: value });
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, []);
    });
  }
}

/** diff() replaces the resource, naming the key that forces it. */
export function itReplaces<I extends object, O>(p: CheckDiff<I, O>, olds: O, inputs: I, rows: Rows): void {
  for (const [key, value] of rows) {
    it(`replaces for ${key}=${JSON.stringify(value)}`, async () => {
      const d = await p.diff("id", olds, { ...inputs, [key]: value });
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, [key]);
    });
  }
}
