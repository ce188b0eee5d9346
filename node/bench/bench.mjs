// ha-sqlite's figures (issue 11), printed, never asserted; run by scripts/bench-node.
// Point reads on an in-process replica (ha-sqlite, `file:` URL) against better-sqlite3 on the
// same file, in the same process and run; one caller, each read awaited before the next.
import Database from 'better-sqlite3'
import { connect } from 'ha-sqlite'
import { Cluster } from '../__test__/cluster.mjs'

const seconds = Number(process.argv[2] || 3)
const rows = 10000
const SELECT = 'SELECT name FROM bench WHERE id = ?'
const key = (i) => 1 + (i * 7919) % rows

async function run (call) {
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(seconds * 1e9))
  let now = start
  while (now < end) {
    for (let k = 0; k < 100; k++) await call(n++)
    now = process.hrtime.bigint()
  }
  const elapsed = Number(now - start) / 1e9
  return { perSecond: n / elapsed, meanUs: elapsed / n * 1e6 }
}

function row (name, figure, base) {
  const ratio = base ? `${(100 * figure.perSecond / base.perSecond).toFixed(1)}%` : '-'
  console.log(`${name.padEnd(56)} ${figure.perSecond.toFixed(0).padStart(10)} ${figure.meanUs.toFixed(1).padStart(9)} ${ratio.padStart(9)}`)
}

const cluster = await Cluster.start()
try {
  const setup = await connect(cluster.nodes[0].url)
  await setup.execute('CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, n INTEGER)')
  await setup.execute(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ${rows})
                       INSERT INTO bench(id, name, n) SELECT x, 'row ' || x, x FROM c`)
  const replica = await connect(`file:${cluster.replicaPath('bench')}`, cluster.replicaOptions('bench', { readOnly: true }))
  await replica.waitFor(setup.lastSeq)
  const raw = new Database(cluster.replicaPath('bench'), { readonly: true })
  const prepared = raw.prepare(SELECT)

  console.log(`ha-sqlite benchmark: ${seconds} s per case, ${rows} rows, Node ${process.version}`)
  console.log(`${'case'.padEnd(56)} ${'ops/s'.padStart(10)} ${'mean µs'.padStart(9)} ${'vs base'.padStart(9)}`)
  const base = await run((i) => prepared.get(key(i)))
  const unprepared = await run((i) => raw.prepare(SELECT).get(key(i)))
  const objects = await run((i) => replica.query(SELECT, [key(i)]))
  const arrays = await run((i) => replica.query(SELECT, [key(i)], { rowMode: 'array' }))
  const remote = await connect(cluster.nodes[0].url)
  const overGrpc = await run((i) => remote.query(SELECT, [key(i)]))
  row('better-sqlite3 point select (prepared once, same file)', base)
  row('better-sqlite3 point select (prepare each time)', unprepared, base)
  row('ha-sqlite replica point select (await query)', objects, base)
  row("ha-sqlite replica point select (rowMode 'array')", arrays, base)
  row('ha-sqlite remote point select (gRPC)', overGrpc, base)
  raw.close()
  await Promise.all([replica.close(), remote.close(), setup.close()])
} finally {
  await cluster.stop()
}
