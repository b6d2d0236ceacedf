import * as path from "path";

// Compiled to build/test/sim/unit/, these helper files stay in the source tree.
export const SIM_FILES = path.resolve(__dirname, "../../../../test/sim/unit/files");
export const HOST_PYTHON = "/usr/bin/python3";
