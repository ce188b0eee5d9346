'use strict'
// ha-sqlite: the Node.js client of ha, the highly available SQLite cluster.
//
//   const { connect } = require('ha-sqlite')
//   const db = await connect('http://localhost:8080', { token })            // a node, over gRPC
//   const db = await connect('file:/data/app.db', {                        // a live replica
//     replicationUrl: 'nats://localhost:4222', node: 'js-1', database: 'ha.db' })
//   await db.execute('INSERT INTO users(name) VALUES (?)', ['ada'])
//   const { rows } = await db.query('SELECT * FROM users')
//
// Everything that waits runs on libuv's thread pool (native module, over ha-ffi); a replica's
// short read answers at once. Errors are `HaError`s with the core's stable `code`.

const native = require('./ha-sqlite.node')

/** An error of ha, with the stable `code` (`sql_constraint`, `unavailable`, ...). */
class HaError extends Error {
  constructor (failure) {
    super(failure.message)
    this.name = 'HaError'
    this.code = failure.code
    if (failure.statementIndex !== undefined && failure.statementIndex !== null) {
      this.statementIndex = failure.statementIndex
    }
  }
}

function fail (code, message) {
  return new HaError({ code, message })
}

function checked (answer) {
  if (answer.error) throw new HaError(answer.error)
  return answer
}

// Values the native module does not take as they are: undefined is NULL (as in better-sqlite3
// and node-postgres), a plain Uint8Array is bytes like a Buffer.
function value (v) {
  if (v === undefined) return null
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  return v
}

function parameters (params) {
  if (params === undefined || params === null) return undefined
  if (Array.isArray(params)) {
    // Most parameter lists need no change: pass them as they are.
    for (let i = 0; i < params.length; i++) {
      const v = params[i]
      if (v === undefined || (v instanceof Uint8Array && !Buffer.isBuffer(v))) return params.map(value)
    }
    return params
  }
  if (typeof params === 'object' && !Buffer.isBuffer(params)) {
    const named = {}
    for (const key of Object.keys(params)) named[key] = value(params[key])
    return named
  }
  throw fail('bad_request', 'params must be an array (positional) or an object (named)')
}

// Calls the native module; a value it cannot take is a bad request, not a crash.
function nativeCall (call) {
  try {
    return call()
  } catch (e) {
    throw fail('bad_request', `a parameter cannot be sent: ${e.message}`)
  }
}

// Row objects of one column list are all made by one function whose object literal has those
// keys in order: V8 gives every row the same shape at once, where setting the keys one by one
// (`row[name] = v`) goes through its slowest, megamorphic stores. Names are JSON-quoted into
// the code, so any column name is safe; `__proto__` (a literal would set the prototype) and
// duplicate names (the last one wins, as with assignment) take the plain loop.
const ROW_FACTORIES = new Map()
const MAX_ROW_FACTORIES = 256

function rowFactory (columns) {
  const key = columns.join('\u0000')
  let make = ROW_FACTORIES.get(key)
  if (make !== undefined) return make
  make = null
  if (!columns.includes('__proto__') && new Set(columns).size === columns.length) {
    const fields = columns.map((name, i) => `${JSON.stringify(name)}: f[at + ${i}]`)
    try {
      make = new Function('f', 'at', `return { ${fields.join(', ')} }`) // eslint-disable-line no-new-func
    } catch (_) {
      make = null // code generation disallowed (--disallow-code-generation-from-strings)
    }
  }
  if (make === null) {
    make = (f, at) => {
      const row = {}
      for (let i = 0; i < columns.length; i++) {
        // `row.__proto__ = v` would set the prototype: a column named so is a plain property.
        if (columns[i] === '__proto__') {
          Object.defineProperty(row, '__proto__', { value: f[at + i], enumerable: true, writable: true, configurable: true })
        } else {
          row[columns[i]] = f[at + i]
        }
      }
      return row
    }
  }
  if (ROW_FACTORIES.size >= MAX_ROW_FACTORIES) ROW_FACTORIES.clear()
  ROW_FACTORIES.set(key, make)
  return make
}

// The `length` first elements of `flat`: [n, name1..nameN, cells...], or [-n, cells...] when
// the names are `known` (the last ones this connection got) -> { columns, rows }, rows as
// objects or arrays of n cells.
function fromFlat (flat, length, known, rowMode) {
  let n = flat[0]
  let columns = known
  let first = 1
  if (n > 0) {
    columns = flat.slice(1, 1 + n)
    first = 1 + n
  } else {
    n = -n
  }
  const rows = []
  if (rowMode === 'array') {
    for (let at = first; at < length; at += n) rows.push(flat.slice(at, at + n))
  } else {
    const make = rowFactory(columns)
    for (let at = first; at < length; at += n) rows.push(make(flat, at))
  }
  // The caller's own copy: the known names stay as they were whatever it does with it.
  return { columns: columns.slice(), rows }
}

function shaped (answer, rowMode) {
  const columns = answer.columns || []
  if (rowMode === 'array') return { columns, rows: answer.rows }
  const make = rowFactory(columns)
  const rows = answer.rows.map((row) => make(row, 0))
  return { columns, rows }
}

function outcome (answer) {
  return {
    rowsAffected: answer.rowsAffected,
    lastInsertId: answer.lastInsertId,
    seq: answer.seq === undefined ? null : answer.seq
  }
}

/** Statements of one transaction (`db.transaction(async (tx) => ...)`). */
class Transaction {
  constructor (session, options) {
    this._session = session
    this._options = options
  }

  async _run (sql, params) {
    const p = parameters(params)
    return checked(await nativeCall(() => this._session.execute(sql, p, this._options.bigint)))
  }

  async query (sql, params, options) {
    const answer = await this._run(sql, params)
    return shaped(answer, (options && options.rowMode) || this._options.rowMode)
  }

  async execute (sql, params) {
    return outcome(await this._run(sql, params))
  }
}

class Connection {
  constructor (client, options) {
    this._native = client
    // What `native.readNow` keeps on its side, kept here too: it sends the SQL text and the
    // column names only when they change, and writes answers into `_out`.
    this._handle = client.handle()
    this._sql = null
    this._columns = []
    this._out = []
    this._options = { bigint: Boolean(options.bigint), rowMode: options.rowMode || 'object' }
    this._session = null
    // Transactions of one connection run one after the other, on its one session.
    this._transactions = Promise.resolve()
    this._lastSeq = null
  }

  // A replica's short read, answered now: how many elements of `_out` hold its rows flat, or
  // an answer; null: then `_execute`. Throws HaError for a bad call.
  _readNow (sql, p) {
    if (typeof sql !== 'string') throw fail('bad_request', 'the SQL must be a string')
    let answer
    try {
      answer = native.readNow(this._handle, sql === this._sql ? null : sql, p, this._options.bigint, this._out)
    } catch (e) {
      throw fail('bad_request', `a parameter cannot be sent: ${e.message}`)
    }
    // The call went in: the handle has this text now.
    this._sql = sql
    if (answer === null || typeof answer === 'number') return answer
    return this._settled(answer)
  }

  // Every flat answer goes through here, so `_columns` stays the handle's last names.
  _fromFlat (length, rowMode) {
    const out = this._out
    const answer = fromFlat(out, length, this._columns, rowMode)
    if (out[0] > 0) this._columns = answer.columns.slice()
    // A large answer's cells are not kept alive until the next one overwrites them.
    if (length > 1024) out.length = 0
    return answer
  }

  async _execute (sql, p) {
    return this._settled(await nativeCall(() => this._native.execute(sql, p, this._options.bigint)))
  }

  _settled (answer) {
    checked(answer)
    if (answer.seq !== undefined && answer.seq !== null) this._lastSeq = answer.seq
    return answer
  }

  /** Runs a statement that returns rows: `{ columns, rows }` (rows as objects, or arrays with `rowMode: 'array'`). */
  query (sql, params, options) {
    const rowMode = (options && options.rowMode) || this._options.rowMode
    try {
      const p = parameters(params)
      const now = this._readNow(sql, p)
      // Answered at once: no thread hop, one resolved promise.
      if (now !== null) return Promise.resolve(typeof now === 'number' ? this._fromFlat(now, rowMode) : shaped(now, rowMode))
      return this._execute(sql, p).then((answer) => shaped(answer, rowMode))
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Runs a statement that changes something: `{ rowsAffected, lastInsertId, seq }`. */
  async execute (sql, params) {
    const p = parameters(params)
    const now = this._readNow(sql, p)
    if (typeof now === 'number') {
      this._fromFlat(now, 'array')
      return outcome({ rowsAffected: 0, lastInsertId: 0, seq: null })
    }
    return outcome(now !== null ? now : await this._execute(sql, p))
  }

  /** Several statements in one transaction, in one call: all of them or, at the first error, none. */
  async batch (statements) {
    if (!Array.isArray(statements)) throw fail('bad_request', 'batch takes an array of { sql, params }')
    const list = statements.map((s) => (typeof s === 'string' ? [s, undefined] : [s.sql, parameters(s.params)]))
    const answer = checked(await nativeCall(() => this._native.batch(list, this._options.bigint)))
    if (answer.seq !== undefined && answer.seq !== null) this._lastSeq = answer.seq
    return answer.results.map((a) => (a.columns ? shaped(a, this._options.rowMode) : outcome(a)))
  }

  /** Runs `fn(tx)` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction (fn) {
    const run = this._transactions.then(() => this._transaction(fn))
    this._transactions = run.catch(() => {})
    return run
  }

  async _transaction (fn) {
    if (this._session === null) {
      const opened = await this._native.session()
      if (!(opened instanceof native.NativeSession)) throw new HaError(opened)
      this._session = opened
    }
    let tx = new Transaction(this._session, this._options)
    try {
      await tx._run('BEGIN')
    } catch (e) {
      // A session that broke while idle (the node restarted, the network dropped it) is
      // replaced once: no transaction was open, so beginning again is safe.
      if (e.code !== 'unavailable') throw e
      const opened = await this._native.session()
      if (!(opened instanceof native.NativeSession)) throw new HaError(opened)
      this._session = opened
      tx = new Transaction(this._session, this._options)
      await tx._run('BEGIN')
    }
    let result
    try {
      result = await fn(tx)
    } catch (e) {
      if (this._session.inTransaction) {
        try { await tx._run('ROLLBACK') } catch (_) { /* the error that matters is e */ }
      }
      throw e
    }
    const committed = await tx._run('COMMIT')
    if (committed.seq !== undefined && committed.seq !== null) this._lastSeq = committed.seq
    return result
  }

  /** Where this connection stands: `{ appliedSeq, lag, held, error }`. */
  status () {
    return this._native.status()
  }

  /** The log sequence of this connection's last committed write (for `waitFor` elsewhere). */
  get lastSeq () {
    return this._lastSeq
  }

  /** Read-your-writes: later reads through this connection see the log up to `seq`. */
  async waitFor (seq, options) {
    if (seq === null || seq === undefined) return
    const timeoutMs = (options && options.timeoutMs) || 10000
    checked(await this._native.waitFor(Number(seq), timeoutMs))
  }

  async close () {
    this._session = null
    checked(await this._native.close())
  }

  get closed () {
    return this._native.closed
  }
}

/** Opens a connection to a node (`http://`, `https://`) or an in-process replica (`file:`). */
async function connect (url, options) {
  if (typeof url !== 'string') throw fail('bad_request', 'the URL must be a string')
  const o = options || {}
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(key)) throw fail('bad_request', `unknown option ${key}`)
  }
  if (o.rowMode !== undefined && o.rowMode !== 'object' && o.rowMode !== 'array') {
    throw fail('bad_request', "rowMode is 'object' or 'array'")
  }
  const opened = await native.open(url, {
    token: o.token,
    database: o.database,
    replicationUrl: o.replicationUrl,
    node: o.node,
    readOnly: o.readOnly,
    timeoutMs: o.timeoutMs,
    tlsCaFile: o.tlsCaFile
  })
  if (!(opened instanceof native.NativeClient)) throw new HaError(opened)
  return new Connection(opened, o)
}

const KNOWN_OPTIONS = new Set(['token', 'database', 'replicationUrl', 'node', 'readOnly',
  'timeoutMs', 'tlsCaFile', 'bigint', 'rowMode'])

module.exports = { connect, Connection, Transaction, HaError }
