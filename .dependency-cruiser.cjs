// The layering of docs/architecture.md as dependency-cruiser rules. dependency-cruiser parses
// every import form (either quote, side-effect imports, `export … from`, dynamic import(),
// require, type-only imports) with the TypeScript compiler and resolves through tsconfig.json,
// so a rule cannot be dodged by spelling. Run by `npm run lint:deps` and by
// test/architecture.spec.ts (which also plants violations to prove each rule bites).

/** Areas each area may import besides itself (paths relative to the repository root). */
const LAYERS = {
  'src/common': [],
  'src/wire': ['src/common'],
  'src/router': ['src/wire', 'src/common'],
  'src/ns': ['src/router', 'src/wire', 'src/common'],
  'src/qmi': ['src/ns', 'src/router', 'src/wire', 'src/common'],
  'src/kernel': ['src/router', 'src/wire', 'src/common'],
  // links may use the addon for device control (src/kernel/device-ioctl.ts)
  'src/links': ['src/kernel', 'src/ns', 'src/router', 'src/wire', 'src/common'],
  'src/services': ['src/links', 'src/ns', 'src/router', 'src/wire', 'src/common'],
  'src/client': ['src/services/local-client/(errors|protocol|revive-error)', 'src/ns', 'src/router', 'src/wire', 'src/common'],
  'src/capture': ['src/qmi', 'src/router', 'src/wire', 'src/common'],
  'src/sdk': ['src/qmi', 'src/ns', 'src/router', 'src/wire', 'src/common'],
  'src/host': ['src/sdk', 'src/qmi', 'src/ns', 'src/router', 'src/wire', 'src/common'],
  'src/testing': ['src/host', 'src/sdk', 'src/links', 'src/kernel', 'src/qmi', 'src/ns', 'src/router', 'src/wire', 'src/common'],
  // Composition: everything in src/, never a plugin (plugins are data in the configuration).
  'src/daemon': ['src/[^/]+'],
  'src/cli': ['src/[^/]+'],
};

const escape = (area) => area.replace(/\./g, '\\.');
const under = (areas) => `^(${areas.map(escape).join('|')})(/|\\.ts$)`;

const layerRules = Object.entries(LAYERS).map(([area, allowed]) => ({
  name: `layer:${area}`,
  comment: `${area} may import only ${allowed.length ? allowed.join(', ') : 'itself'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^${escape(area)}/` },
  to: { path: '^(src|plugins)/', pathNot: under([area, ...allowed]) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer:src-root',
      comment: 'a file at the root of src/ (the package entry) re-exports the SDK contract and the client library (issue 19 item 6) and nothing else',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^(src|plugins)/', pathNot: '^src/(sdk|client)/' },
    },
    {
      name: 'layer:plugins',
      comment: 'a plugin imports the SDK contract, src/common and plugins',
      severity: 'error',
      from: { path: '^plugins/', pathNot: '^plugins/[^/]+/(sim|test)/' },
      to: { path: '^src/', pathNot: '^src/(sdk|common)/' },
    },
    {
      name: 'layer:plugin-simulators',
      comment: "a plugin's simulators (which the daemon runs) also use the real components of src/testing/devices, never the chai kit",
      severity: 'error',
      from: { path: '^plugins/[^/]+/sim/' },
      to: { path: '^src/', pathNot: '^src/(sdk/|common/|testing/devices\\.ts$)' },
    },
    {
      name: 'layer:plugin-tests',
      comment: "a plugin's tests may use the whole test kit (src/testing)",
      severity: 'error',
      from: { path: '^plugins/[^/]+/test/' },
      to: { path: '^src/', pathNot: '^src/(sdk|common|testing)/' },
    },
    {
      name: 'test-kit-only-chai',
      comment: 'chai is a test dependency: only src/testing (the qrtrd/testing entry) and tests import it',
      severity: 'error',
      from: { path: '^(src|plugins)/', pathNot: '^(src/testing/|plugins/[^/]+/test/)' },
      to: { path: '(^|/)node_modules/chai/' },
    },
    {
      name: 'no-shipped-to-test',
      comment: 'shipped code never imports from a test directory',
      severity: 'error',
      from: { path: '^(src|plugins)/', pathNot: '^plugins/[^/]+/test/' },
      to: { path: '^(test/|plugins/[^/]+/test/)' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'every relative import resolves to a file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, dependencyTypesNot: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json', '.node'] },
    skipAnalysisNotInRules: false,
  },
};
