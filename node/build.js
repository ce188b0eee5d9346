// Builds the native module (ha-sqlite.node, native.d.ts) with @napi-rs/cli: run by `npm install`.
// HA_NODE_PROFILE=debug builds the debug profile (the tests; it shares the workspace's debug
// artifacts); the default is release.
'use strict'
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const napi = path.join(path.dirname(require.resolve('@napi-rs/cli')), 'cli.js')
const args = [napi, 'build', '--manifest-path', path.join(__dirname, 'Cargo.toml'),
  '--package-json-path', path.join(__dirname, 'package.json'),
  '--output-dir', __dirname, '--dts', 'native.d.ts']
if ((process.env.HA_NODE_PROFILE || 'release') === 'release') args.push('--release')
const built = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: __dirname })
process.exit(built.status === null ? 1 : built.status)
