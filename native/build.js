#!/usr/bin/env node
// Install-time build of the AF_QIPCRTR addon (npm "install" script).
//
// The addon is optional: without it only the kernel backend is unavailable, and the
// loader (src/kernel/native-loader.ts) explains why. So this script never fails the
// install. On failure it prints a warning and records the reason in
// native/build/qrtrd-build-failure.txt for the loader's error message.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const nativeDir = __dirname;
const buildDir = path.join(nativeDir, 'build');
const failureFile = path.join(buildDir, 'qrtrd-build-failure.txt');

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency of this project; npm's bundled copy is the usual source
  }
  return candidates.find((candidate) => candidate && fs.existsSync(candidate));
}

// Build against the running Node's installed headers when they exist, so that no
// header download (and no network) is needed.
function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function fail(reason, detail) {
  fs.mkdirSync(buildDir, { recursive: true });
  fs.writeFileSync(failureFile, `${reason}\n${detail ?? ''}`.trimEnd() + '\n');
  console.warn(`qrtrd: the AF_QIPCRTR addon was not built (${reason}).`);
  console.warn('qrtrd: everything else works; the kernel backend reports KERNEL_BACKEND_UNAVAILABLE until');
  console.warn('qrtrd: the addon is built with `node native/build.js` (needs python3, make and a C++17 compiler).');
  process.exit(0);
}

function main() {
  if (process.env.QRTRD_SKIP_NATIVE === '1') fail('QRTRD_SKIP_NATIVE=1 is set');
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) fail('node-gyp was not found (it normally comes with npm)');
  const args = [nodeGyp, 'rebuild'];
  const nodeDir = findNodeDir();
  if (nodeDir) args.push(`--nodedir=${nodeDir}`);
  const result = spawnSync(process.execPath, args, { cwd: nativeDir, encoding: 'utf8', env: process.env });
  if (result.error) fail(`node-gyp could not be started: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').filter((l) => !l.startsWith('gyp info'));
    fail(`node-gyp exited with status ${result.status}`, output.slice(-40).join('\n'));
  }
  fs.rmSync(failureFile, { force: true });
  console.log('qrtrd: built native/build/Release/qrtr_native.node');
}

main();
