/**
 * What `pulumi destroy` does on the unit: `rollback` puts back the pre-graft state and pins the
 * previous driver (the 1.3.0 holding state); `remove` takes everything the graft added away.
 */
export type DestroyMode = "rollback" | "remove";

export const DESTROY_MODE = { pattern: /^(rollback|remove)$/, expected: "rollback or remove" } as const;
