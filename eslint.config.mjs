import tseslint from "typescript-eslint";

// The layers (docs/design.md#layers): each may import, of ours, only itself and the layers listed.
// index.ts and test/ may import anything. openstack/ (the CLI wrapper) needs only core/, so providers/
// (the destroy guard's cluster inventory) may use it as well as components/.
const LAYERS = [
  { layer: "core", may: [] },
  { layer: "openstack", may: ["core"] },
  { layer: "config", may: ["core"] },
  { layer: "providers", may: ["core", "openstack"] },
  { layer: "components", may: ["core", "openstack", "config", "providers"] },
];
const OURS = ["core", "openstack", "config", "providers", "components", "index"];
// How deep a source file may sit below its layer's folder (providers/gates/kinds.ts is depth 2).
const MAX_DEPTH = 4;

// An import of top-level `target` from a file `depth` folders below the root: `./target` from the root,
// `../target` one folder down, and so on; `target` is a folder (then `/...`) or a module.
function upward(layer, depth, may) {
  const up = depth === 0 ? "\\./" : `(?:\\.\\./){${depth}}`;
  return OURS.filter((t) => t !== layer && !may.includes(t)).map((target) => ({
    regex: `^${up}${target}(?:/|$)`,
    message: `${layer} may import ${may.length ? `only ${may.join(", ")}` : "nothing of ours"}: ${target} is a layer above it (docs/design.md#layers).`,
  }));
}

const layering = LAYERS.flatMap(({ layer, may }) =>
  layer === "config"
    ? [
        {
          files: ["config.ts"],
          rules: { "no-restricted-imports": ["error", { patterns: upward(layer, 0, may) }] },
        },
      ]
    : Array.from({ length: MAX_DEPTH }, (_, i) => ({
        files: [`${layer}/${"*/".repeat(i)}*.ts`],
        rules: { "no-restricted-imports": ["error", { patterns: upward(layer, i + 1, may) }] },
      })),
);

export default tseslint.config(
  { ignores: ["build/**", "node_modules/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  ...layering,
  {
    // Dynamic providers run as Pulumi's closure serialization of this code, which keeps a class's
    // constructor and methods but drops its field initializers: assign fields in the constructor.
    files: ["core/**/*.ts", "openstack/**/*.ts", "providers/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "PropertyDefinition[value!=null]",
          message: "Pulumi's closure serialization drops field initializers: assign in the constructor.",
        },
      ],
    },
  },
);
