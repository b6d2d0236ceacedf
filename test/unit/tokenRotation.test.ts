import { strict as assert } from "assert";
import { nextGeneration, TokenRotationProvider } from "../../providers/tokenRotation";

const DAY_MS = 24 * 3600 * 1000;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

describe("token rotation", () => {
  it("starts at generation 1, minted now", () => {
    assert.deepEqual(nextGeneration({}, 90, T0), {
      rotationDays: 90,
      generation: 1,
      mintedAt: "2026-01-01T00:00:00.000Z",
      rotation: "first token",
    });
  });

  it("keeps the generation until it is rotationDays old, then names the age in the rotation", () => {
    const first = nextGeneration({}, 90, T0);
    assert.deepEqual(nextGeneration(first, 90, T0 + 89.9 * DAY_MS), first);
    const second = nextGeneration(first, 90, T0 + 90 * DAY_MS);
    assert.equal(second.generation, 2);
    assert.equal(second.mintedAt, new Date(T0 + 90 * DAY_MS).toISOString());
    assert.equal(
      second.rotation,
      "token age 90 days reached credentialRotationDays 90: generation 2 replaces 1 (minted 2026-01-01T00:00:00.000Z)",
    );
    assert.deepEqual(nextGeneration(second, 90, T0 + 91 * DAY_MS), second);
  });

  it("a shorter rotationDays rotates at the next up; a longer one changes nothing but the setting", () => {
    const first = nextGeneration({}, 90, T0);
    assert.equal(nextGeneration(first, 30, T0 + 31 * DAY_MS).generation, 2);
    assert.deepEqual(nextGeneration(first, 365, T0 + 100 * DAY_MS), { ...first, rotationDays: 365 });
  });

  it("diffs a new generation as a replacement whose reason is the rotation, a setting as an update", async () => {
    const p = new TokenRotationProvider();
    const first = nextGeneration({}, 90, T0);
    const second = nextGeneration(first, 90, T0 + 100 * DAY_MS);
    assert.deepEqual(await p.diff("id", first, second), { changes: true, replaces: ["rotation"] });
    assert.deepEqual(await p.diff("id", first, { ...first, rotationDays: 120 }), { changes: true });
    assert.deepEqual(await p.diff("id", first, first), { changes: false });
  });

  it("refuses a rotationDays below 1 in check", async () => {
    const r = await new TokenRotationProvider().check({ rotationDays: 90 }, { rotationDays: 0 });
    assert.equal(r.failures?.[0].property, "rotationDays");
  });
});
