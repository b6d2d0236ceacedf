// The lowest Python each released magnum-capi-helm installs on: the Requires-Python of its wheel on
// PyPI (1.4.0: ">=3.10"; 1.3.0: ">=3.6"). A table, not a question to the package index: a release's
// metadata never changes, so the table is exact for the versions it holds, and asking the index
// would mean a PEP 503 page parsed on the unit or a pip with --dry-run (22.2 and later; jammy ships
// 22.0.2). A version the table does not hold (a later release) gets no floor of ours: pip decides
// there, and its failure names the unit's Python.

const DRIVER_PYTHON_FLOORS: Readonly<Record<string, string>> = {
  "1.3.0": "3.6",
  "1.4.0": "3.10",
};

/** The lowest python3 `version` of the driver installs on, as "3.10"; "" when the table does not know it. */
export function driverPythonFloor(version: string): string {
  return DRIVER_PYTHON_FLOORS[version] ?? "";
}

/** A floor as the pip step takes it: "" (none) or major.minor. */
export const PYTHON_FLOOR_PATTERN = /^([0-9]+\.[0-9]+)?$/;
