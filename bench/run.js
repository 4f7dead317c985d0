'use strict'
// `npm run bench -- <suite...>`: runs the named suites (default: all) side by side with their
// peers and prints markdown tables. Suites live in bench/<name>.js.

const fs = require('node:fs')
const path = require('node:path')
const os = require('node:os')

async function main() {
  const available = fs.readdirSync(__dirname).filter((f) => f.endsWith('.js') && !['run.js', 'harness.js'].includes(f)).map((f) => f.slice(0, -3))
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const suites = asked.length ? asked : available
  for (const s of suites) {
    if (!available.includes(s)) {
      console.error(`unknown suite "${s}"; available: ${available.join(', ')}`)
      process.exit(2)
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.log(`# @edgebase/native benchmarks — node ${process.version}, ${os.cpus().length} × ${cpu}, ${os.platform()} ${os.arch()}`)
  for (const s of suites) await require(path.join(__dirname, s))()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
