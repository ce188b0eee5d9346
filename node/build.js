// Builds the native module (ha-sqlite.node) when the package is installed (`npm install`).
// With @napi-rs/cli at hand (`npm ci` in this directory) it runs `napi build`, which also
// writes native.d.ts; installed as a folder (`npm install ./node` from another project) npm
// runs this before the package's own dependencies exist, so then it runs cargo itself (the
// crate's build.rs sets what napi needs) and copies the library into place.
// HA_NODE_PROFILE=debug builds the debug profile (the tests); the default is release.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const release = (process.env.HA_NODE_PROFILE || 'release') === 'release'
const manifest = path.join(__dirname, 'Cargo.toml')

function run (command, args) {
  const done = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: __dirname })
  if (done.error) throw done.error
  if (done.status !== 0) process.exit(done.status === null ? 1 : done.status)
}

function napiCli () {
  try {
    return path.join(path.dirname(require.resolve('@napi-rs/cli')), 'cli.js')
  } catch (_) {
    return null
  }
}

const cli = napiCli()
if (cli) {
  const args = [cli, 'build', '--manifest-path', manifest,
    '--package-json-path', path.join(__dirname, 'package.json'),
    '--output-dir', __dirname, '--dts', 'native.d.ts']
  if (release) args.push('--release')
  run(process.execPath, args)
} else {
  const cargo = process.env.CARGO || 'cargo'
  run(cargo, ['build', '--manifest-path', manifest, '--lib', ...(release ? ['--release'] : [])])
  const metadata = spawnSync(cargo, ['metadata', '--format-version', '1', '--no-deps',
    '--manifest-path', manifest], { encoding: 'utf8', maxBuffer: 64 << 20 })
  if (metadata.status !== 0) throw new Error(`cargo metadata failed: ${metadata.stderr}`)
  const target = JSON.parse(metadata.stdout).target_directory
  const file = { darwin: 'libha_sqlite_node.dylib', win32: 'ha_sqlite_node.dll' }[process.platform] ||
    'libha_sqlite_node.so'
  fs.copyFileSync(path.join(target, release ? 'release' : 'debug', file), path.join(__dirname, 'ha-sqlite.node'))
}
