// A program written against index.d.ts: tsc --noEmit must accept it.
import { connect, HaError, type Connection, type Value } from '../../index.js'

interface User { id: number, name: string }

async function main (): Promise<void> {
  const db: Connection = await connect('http://localhost:8080', { token: 't', rowMode: 'object' })
  const replica = await connect('file:/tmp/app.db', {
    replicationUrl: 'nats://localhost:4222', node: 'js-1', database: 'ha.db', readOnly: false, timeoutMs: 500
  })
  const { rows } = await db.query<User>('SELECT id, name FROM users WHERE id = ?', [1])
  const first: User | undefined = rows[0]
  const done = await db.execute('INSERT INTO users(name) VALUES (:name)', { name: 'ada' })
  const id: number | bigint = done.lastInsertId
  const seq: number | null = done.seq
  await replica.waitFor(seq, { timeoutMs: 1000 })
  const n = await db.transaction(async (tx) => {
    await tx.execute('UPDATE users SET name = ?', [Buffer.from('x')])
    return (await tx.query('SELECT count(*) AS n FROM users')).rows.length
  })
  const results = await db.batch(['SELECT 1', { sql: 'SELECT ?', params: [2n] }])
  const status = replica.status()
  const lag: number = status.lag
  const cell: Value = null
  try {
    await db.query('SELEC')
  } catch (e) {
    if (e instanceof HaError) console.log(e.code, e.statementIndex)
  }
  console.log(first, id, n, results.length, lag, cell, db.lastSeq, db.closed)
  await db.close()
  await replica.close()
}

void main()
