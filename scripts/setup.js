'use strict'
// Makes a fresh clone runnable: installs npm dependencies when missing, then builds the native
// addon (cargo is incremental, so this is quick when nothing changed). Used by `npm start` and
// `npm test`, so each of them works on its own on a fresh clone.

const { execFileSync } = require('node:child_process')
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const root = join(__dirname, '..')
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) {
  run('npm', ['ci', '--no-audit', '--no-fund'])
}
run(process.execPath, [join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js'), 'build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts'])
// The standalone server binary (target/release/edgebase-native), used by the server tests.
run('cargo', ['build', '--release', '--quiet', '-p', 'edgebase-server', '--bin', 'edgebase-native'])
