// ha-sqlite against real nodes and a real broker: CRUD, types at the edges, transactions,
// errors and their codes, remote and as an in-process replica.
import { test, before, after, describe } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

import { connect, HaError } from 'ha-sqlite'
import { Cluster, Node, eventually } from './cluster.mjs'

let cluster
let standalone
let tokenNode

before(async () => {
  cluster = await Cluster.start()
  standalone = await Node.start('--nats-port=0', '-m')
  tokenNode = await Node.start('--nats-port=0', '-m', '--token', 's3cret')
})

after(async () => {
  await standalone.stop()
  await tokenNode.stop()
  await cluster.stop()
})

let tables = 0
const table = () => `t${++tables}`

for (const kind of ['remote', 'replica']) {
  const open = (options = {}) => kind === 'remote'
    ? connect(standalone.url, options)
    : connect(`file:${cluster.replicaPath('sdk')}`, cluster.replicaOptions('sdk', options))

  describe(`${kind} connection`, () => {
    test('CRUD', async () => {
      const db = await open()
      const t = table()
      await db.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, name TEXT)`)
      const inserted = await db.execute(`INSERT INTO ${t}(name) VALUES (?)`, ['ada'])
      assert.equal(inserted.rowsAffected, 1)
      assert.equal(typeof inserted.lastInsertId, 'number')
      await db.execute(`INSERT INTO ${t}(name) VALUES (:name)`, { name: 'grace' })
      assert.deepEqual((await db.query(`SELECT name FROM ${t} ORDER BY id`)).rows,
        [{ name: 'ada' }, { name: 'grace' }])
      assert.equal((await db.execute(`UPDATE ${t} SET name = upper(name)`)).rowsAffected, 2)
      assert.equal((await db.execute(`DELETE FROM ${t} WHERE name = ?`, ['ADA'])).rowsAffected, 1)
      const { columns, rows } = await db.query(`SELECT id, name FROM ${t}`, [], { rowMode: 'array' })
      assert.deepEqual(columns, ['id', 'name'])
      assert.deepEqual(rows.map((r) => r[1]), ['GRACE'])
      await db.close()
    })

    test('values at the edges round-trip', async () => {
      const db = await open()
      const t = table()
      await db.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v)`)
      const values = [2 ** 53 + 1, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 0, -1, 1.5, -0.25,
        Number.MAX_VALUE, '', 'héllo ✓ 𝄞', Buffer.alloc(0), Buffer.from([0, 1, 255]), null]
      await db.batch(values.map((v, i) => ({ sql: `INSERT INTO ${t}(id, v) VALUES (?, ?)`, params: [i + 1, v] })))
      const got = (await db.query(`SELECT v FROM ${t} ORDER BY id`)).rows.map((r) => r.v)
      assert.deepEqual(got, [2 ** 53 + 1 /* a float: no longer an exact integer */, 2n ** 53n + 1n,
        2n ** 63n - 1n, -(2n ** 63n), 0, -1, 1.5, -0.25, Number.MAX_VALUE, '', 'héllo ✓ 𝄞',
        Buffer.alloc(0), Buffer.from([0, 1, 255]), null])
      // Booleans as 0/1, undefined as NULL, a Uint8Array as bytes.
      const row = (await db.query('SELECT ? AS a, ? AS b, ? AS c, typeof(?) AS d', [true, undefined, new Uint8Array([7]), 3])).rows[0]
      assert.deepEqual(Object.values(row), [1, null, Buffer.from([7]), 'integer'])
      await db.close()
      const big = await open({ bigint: true })
      assert.deepEqual((await big.query('SELECT 1 AS one')).rows, [{ one: 1n }])
      await big.close()
    })

    test('transactions commit, or roll back when the callback throws', async () => {
      const db = await open()
      const t = table()
      await db.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY)`)
      const result = await db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${t} VALUES (1)`)
        await tx.execute(`INSERT INTO ${t} VALUES (2)`)
        return (await tx.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n
      })
      assert.equal(result, 2)
      await assert.rejects(db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${t} VALUES (3)`)
        throw new Error('changed my mind')
      }), /changed my mind/)
      await assert.rejects(db.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${t} VALUES (4)`)
        await tx.execute(`INSERT INTO ${t} VALUES (1)`)
      }), (e) => e instanceof HaError && e.code === 'sql_constraint')
      assert.deepEqual((await db.query(`SELECT id FROM ${t} ORDER BY id`)).rows, [{ id: 1 }, { id: 2 }])
      // Concurrent transactions of one connection run one after the other.
      await Promise.all([5, 6, 7].map((id) => db.transaction((tx) => tx.execute(`INSERT INTO ${t} VALUES (?)`, [id]))))
      assert.equal((await db.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 5)
      await db.close()
    })

    test('a failing batch writes nothing', async () => {
      const db = await open()
      const t = table()
      await db.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY)`)
      await assert.rejects(db.batch([`INSERT INTO ${t} VALUES (1)`, `INSERT INTO ${t} VALUES (1)`]),
        (e) => e.code === 'sql_constraint' && e.statementIndex === 1)
      assert.deepEqual((await db.query(`SELECT count(*) AS n FROM ${t}`)).rows, [{ n: 0 }])
      await db.close()
    })

    test('the same text read again follows schema changes; any column name makes a row', async () => {
      const db = await open()
      const t = table()
      await db.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, a TEXT)`)
      await db.execute(`INSERT INTO ${t} VALUES (1, 'x')`)
      const read = () => db.query(`SELECT * FROM ${t} WHERE id = ?`, [1])
      assert.deepEqual(await read(), { columns: ['id', 'a'], rows: [{ id: 1, a: 'x' }] })
      const again = await read()
      again.columns.push('mine') // a caller's copy: later answers keep their own
      assert.deepEqual(await read(), { columns: ['id', 'a'], rows: [{ id: 1, a: 'x' }] })
      await db.execute(`ALTER TABLE ${t} RENAME COLUMN a TO b`)
      await eventually(async () => (await read()).columns[1] === 'b', 'the renamed column')
      assert.deepEqual(await read(), { columns: ['id', 'b'], rows: [{ id: 1, b: 'x' }] })
      await db.execute(`ALTER TABLE ${t} ADD COLUMN c INTEGER DEFAULT 7`)
      await eventually(async () => (await read()).columns.length === 3, 'the added column')
      assert.deepEqual((await read()).rows, [{ id: 1, b: 'x', c: 7 }])
      // Another text in between, then the first one again.
      assert.deepEqual((await db.query('SELECT 2 AS two')).rows, [{ two: 2 }])
      assert.deepEqual((await read()).rows, [{ id: 1, b: 'x', c: 7 }])
      // Names no object literal takes as they are.
      const odd = await db.query('SELECT 1 AS "__proto__", 2 AS "x", 3 AS "x", 4 AS "a""b", 5 AS "constructor"')
      assert.equal(Object.getPrototypeOf(odd.rows[0]), Object.prototype)
      assert.equal(Object.getOwnPropertyDescriptor(odd.rows[0], '__proto__').value, 1)
      assert.equal(odd.rows[0].x, 3)
      assert.equal(odd.rows[0]['a"b'], 4)
      assert.equal(odd.rows[0].constructor, 5)
      const many = await db.query('WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000) SELECT n FROM c')
      assert.equal(many.rows.length, 3000)
      assert.deepEqual((await read()).rows, [{ id: 1, b: 'x', c: 7 }])
      await db.close()
    })

    test('errors carry their code', async () => {
      const db = await open()
      await assert.rejects(db.query('SELEC 1'), (e) => e instanceof HaError && e.code === 'sql_syntax')
      await assert.rejects(db.query('SELECT * FROM no_such_table'), (e) => e.code === 'sql_unknown_object' || e.code === 'sql_error')
      await assert.rejects(db.query('SELECT ?', [{ not: 'a value' }]), (e) => e.code === 'bad_request')
      await assert.rejects(db.query('SELECT ?', [2n ** 64n]), (e) => e.code === 'bad_request')
      await assert.rejects(db.query('SELECT 1', 'not params'), (e) => e.code === 'bad_request')
      await db.close()
      assert.equal(db.closed, true)
      await assert.rejects(db.query('SELECT 1'), (e) => e instanceof HaError && /closed/.test(e.message))
    })
  })
}

test('bad URLs, options and tokens are rejected promises with a code', async () => {
  await assert.rejects(connect('ftp://example.com'), (e) => e.code === 'bad_request' && /http:\/\//.test(e.message))
  await assert.rejects(connect('file:/tmp/x.db'), (e) => e.code === 'bad_request')
  await assert.rejects(connect(standalone.url, { bogus: 1 }), (e) => e.code === 'bad_request' && /bogus/.test(e.message))
  await assert.rejects(connect(42), (e) => e.code === 'bad_request')
  await assert.rejects(connect('http://127.0.0.1:1'), (e) => e.code === 'unavailable')
  const wrong = await connect(tokenNode.url, { token: 'wrong' })
  await assert.rejects(wrong.query('SELECT 1'), (e) => e.code === 'unauthorized')
  const right = await connect(tokenNode.url, { token: 's3cret' })
  assert.deepEqual((await right.query('SELECT 1 AS one')).rows, [{ one: 1 }])
  await right.close()
  await wrong.close()
})

test('a replica and the nodes see each other\'s writes; read-your-writes across connections', async () => {
  const node = await connect(cluster.nodes[0].url)
  const t = table()
  await node.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, origin TEXT)`)
  const replica = await connect(`file:${cluster.replicaPath('mutual')}`, cluster.replicaOptions('js-mutual'))
  await replica.waitFor(node.lastSeq)
  for (let i = 0; i < 30; i++) {
    await node.execute(`INSERT INTO ${t} VALUES (?, 'node')`, [i])
    await replica.execute(`INSERT INTO ${t} VALUES (?, 'replica')`, [1000 + i])
  }
  const other = await connect(cluster.nodes[1].url)
  for (const c of [node, replica, other]) {
    await c.waitFor(node.lastSeq)
    await c.waitFor(replica.lastSeq)
    assert.deepEqual((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows, [{ n: 60 }])
  }
  assert.equal(replica.status().lag, 0)
  await Promise.all([node.close(), replica.close(), other.close()])
})

test('a read-only replica refuses writes', async () => {
  const node = await connect(cluster.nodes[0].url)
  const t = table()
  await node.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY)`)
  const replica = await connect(`file:${cluster.replicaPath('reader')}`, cluster.replicaOptions('js-reader', { readOnly: true }))
  await replica.waitFor(node.lastSeq)
  await assert.rejects(replica.execute(`INSERT INTO ${t} VALUES (1)`), (e) => e.code === 'read_only')
  await Promise.all([node.close(), replica.close()])
})

test('writes made offline reach the nodes after reopening', async () => {
  const node = await connect(cluster.nodes[0].url)
  const t = table()
  await node.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY)`)
  const file = `file:${cluster.replicaPath('offline')}`
  let replica = await connect(file, cluster.replicaOptions('js-offline', { timeoutMs: 500 }))
  await replica.waitFor(node.lastSeq)
  await cluster.broker.stop()
  try {
    for (let i = 0; i < 5; i++) {
      // Committed in the replica's file; the broker cannot confirm it.
      await assert.rejects(replica.execute(`INSERT INTO ${t} VALUES (?)`, [i]), (e) => e.code === 'replication_pending')
    }
    assert.deepEqual((await replica.query(`SELECT count(*) AS n FROM ${t}`)).rows, [{ n: 5 }])
    await replica.close()
  } finally {
    await cluster.broker.resume()
  }
  replica = await connect(file, cluster.replicaOptions('js-offline'))
  for (const n of cluster.nodes) {
    const c = await connect(n.url)
    await eventually(async () => (await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n === 5, 'the offline writes reach the node')
    await c.close()
  }
  await Promise.all([node.close(), replica.close()])
})

test('a replica and two nodes converge under conflicting writers', async () => {
  const setup = await connect(cluster.nodes[0].url)
  const t = table()
  await setup.execute(`CREATE TABLE ${t}(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)`)
  const writers = [
    await connect(cluster.nodes[0].url),
    await connect(cluster.nodes[1].url),
    await connect(`file:${cluster.replicaPath('converge')}`, cluster.replicaOptions('js-converge'))
  ]
  for (const w of writers) await w.waitFor(setup.lastSeq)
  for (let round = 0; round < 10; round++) {
    await Promise.all(writers.map((w, k) => w.execute(
      `INSERT INTO ${t}(id, v, n) VALUES (?, ?, 1) ON CONFLICT(id) DO UPDATE SET v = excluded.v, n = n + 1`,
      [round % 5, `writer${k}`])))
  }
  for (const w of writers) {
    for (const other of writers) await w.waitFor(other.lastSeq)
  }
  const dump = async (w) => JSON.stringify((await w.query(`SELECT * FROM ${t} ORDER BY id`, [], { rowMode: 'array' })).rows)
  await eventually(async () => new Set(await Promise.all(writers.map(dump))).size === 1, 'all dumps equal')
  assert.equal((await writers[0].query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 5)
  await Promise.all([...writers.map((w) => w.close()), setup.close()])
})

test('a process exits once its connection is closed, and also when it is not', () => {
  for (const close of [true, false]) {
    const script = `
      const { connect } = require(${JSON.stringify(path.resolve(fileURLToPath(import.meta.url), '../../index.js'))})
      connect(${JSON.stringify(standalone.url)}).then(async (db) => {
        console.log((await db.query('SELECT 41 + 1 AS n')).rows[0].n)
        ${close ? 'await db.close()' : ''}
      })`
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 })
    assert.equal(run.status, 0, run.stderr)
    assert.equal(run.stdout.trim(), '42')
  }
})

test('index.d.ts type-checks a sample program (tsc --noEmit)', () => {
  const root = path.resolve(fileURLToPath(import.meta.url), '../..')
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', path.join(root, '__test__', 'types')],
    { encoding: 'utf8' })
  assert.equal(run.status, 0, run.stdout + run.stderr)
})

test('a restarted node is reached again, transactions included', async () => {
  const node = await Node.start('--nats-port=0', 'file:restart.db')
  try {
    const db = await connect(node.url)
    await db.execute('CREATE TABLE t(x)')
    await db.transaction((tx) => tx.execute('INSERT INTO t VALUES (1)'))
    await node.restart()
    await eventually(async () => (await db.query('SELECT count(*) AS n FROM t')).rows[0].n === 1, 'the connection reads again')
    // A new transaction on a session that broke while idle.
    await db.transaction((tx) => tx.execute('INSERT INTO t VALUES (2)'))
    assert.equal((await db.query('SELECT count(*) AS n FROM t')).rows[0].n, 2)
    await db.close()
  } finally {
    await node.stop()
  }
})
