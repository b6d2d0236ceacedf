import * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "./resource";
import { checkInputs } from "./diffing";

// The scoped credential's token generation and its age. check() decides with the clock and the
// recorded mint time, never a remote call, so `preview` shows a due rotation as a replacement of this
// resource whose `rotation` input states the token's age. The token Secret is named by the
// generation: a new generation is a new Secret, created before and deleted after the units that use
// the old one (Pulumi's create-before-delete replacement), and deleting it revokes the old token.

const DAY_MS = 24 * 3600 * 1000;

export interface TokenRotationInputs {
  readonly rotationDays: number;
  /** Computed by check: the token generation, from 1. */
  readonly generation?: number;
  /** Computed by check: when this generation was minted (ISO 8601). */
  readonly mintedAt?: string;
  /** Computed by check: why this generation exists, which `preview --diff` shows on a rotation. */
  readonly rotation?: string;
}

export type TokenRotationOutputs = Required<TokenRotationInputs>;

function validate(i: TokenRotationInputs): void {
  if (!Number.isInteger(i.rotationDays) || i.rotationDays < 1)
    throw new Error(
      `rotationDays: expected a whole number of days from 1; saw ${JSON.stringify(i.rotationDays)}`,
    );
}

/** The generation the next up must deliver, given the recorded one and the time now. */
export function nextGeneration(
  olds: Partial<TokenRotationInputs>,
  rotationDays: number,
  now: number,
): TokenRotationOutputs {
  const minted = olds.mintedAt ? Date.parse(olds.mintedAt) : NaN;
  if (olds.generation === undefined || Number.isNaN(minted)) {
    return { rotationDays, generation: 1, mintedAt: new Date(now).toISOString(), rotation: "first token" };
  }
  const ageDays = Math.floor((now - minted) / DAY_MS);
  if (ageDays < rotationDays) {
    return {
      rotationDays,
      generation: olds.generation,
      mintedAt: olds.mintedAt!,
      rotation: olds.rotation ?? "",
    };
  }
  return {
    rotationDays,
    generation: olds.generation + 1,
    mintedAt: new Date(now).toISOString(),
    rotation:
      `token age ${ageDays} days reached credentialRotationDays ${rotationDays}: generation ` +
      `${olds.generation + 1} replaces ${olds.generation} (minted ${olds.mintedAt})`,
  };
}

export class TokenRotationProvider implements pulumi.dynamic.ResourceProvider {
  async check(olds: TokenRotationInputs, news: TokenRotationInputs): Promise<pulumi.dynamic.CheckResult> {
    const checked = checkInputs(news, validate, "rotationDays");
    if (checked.failures) return checked;
    return { inputs: nextGeneration(olds ?? {}, news.rotationDays, Date.now()) };
  }

  async diff(
    _id: string,
    olds: TokenRotationOutputs,
    news: TokenRotationOutputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    if (olds.generation !== news.generation) return { changes: true, replaces: ["rotation"] };
    return { changes: olds.rotationDays !== news.rotationDays };
  }

  async create(inputs: TokenRotationOutputs): Promise<pulumi.dynamic.CreateResult> {
    return { id: `token-generation-${inputs.generation}`, outs: inputs };
  }

  async update(_id: string, _olds: TokenRotationOutputs, news: TokenRotationOutputs) {
    return { outs: news };
  }

  /** Nothing to undo here: the token is revoked by deleting its Secret. */
  async delete(): Promise<void> {}
}

export interface TokenRotationArgs {
  readonly rotationDays: pulumi.Input<number>;
}

/** The token generation to deliver; a new one when the current one is `rotationDays` old. */
export class TokenRotation extends dynamicResource<TokenRotationArgs>(
  "TokenRotation",
  new TokenRotationProvider(),
  ["generation", "mintedAt", "rotation"],
) {
  declare readonly generation: pulumi.Output<number>;
  declare readonly mintedAt: pulumi.Output<string>;
  declare readonly rotation: pulumi.Output<string>;
}
