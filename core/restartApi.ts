/**
 * Whether the restart that follows a change also restarts magnum-api on the unit: `auto` when the unit
 * runs it, `true` requires it there, `false` leaves it alone.
 */
export type RestartApi = "auto" | "true" | "false";

export const RESTART_API = { pattern: /^(auto|true|false)$/, expected: "auto, true or false" } as const;
