'use strict';
// ha's PostgreSQL front end driven by node-postgres (`pg`).

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const pg = require('pg');
const { Server, isHa, blobType } = require('./server');

// node-postgres returns int8 as a string by default (it may not fit a double); the usual remedy,
// kept to these clients rather than set globally: parse it into a Number.
const INT8 = 20;
const types = {
  getTypeParser(oid, format) {
    if (oid === INT8 && format !== 'binary') return (v) => Number.parseInt(v, 10);
    return pg.types.getTypeParser(oid, format);
  },
};

describe('ha PostgreSQL wire with node-postgres', () => {
  const server = new Server();
  const clients = [];

  async function connect(overrides = {}) {
    const client = new pg.Client(server.config({ types, ...overrides }));
    await client.connect();
    clients.push(client);
    return client;
  }

  // Drops and creates a table (reruns against a persistent server start clean).
  async function freshTable(client, name, columns) {
    await client.query(`DROP TABLE IF EXISTS ${name}`);
    await client.query(`CREATE TABLE ${name}(${columns})`);
    return name;
  }

  async function expectSqlState(promise, code) {
    await assert.rejects(promise, (err) => {
      assert.equal(err.code, code, `expected SQLSTATE ${code}, got ${err.code}: ${err.message}`);
      return true;
    });
  }

  before(async () => { await server.start(); });

  after(async () => {
    await Promise.allSettled(clients.map((c) => c.end()));
    await server.stop();
  });

  it('connects with ha/ha and refuses a wrong password with 28P01', async () => {
    const client = await connect();
    const { rows } = await client.query('SELECT 1 AS one');
    assert.deepEqual(rows, [{ one: 1 }]);
    const bad = new pg.Client(server.config({ password: 'not-the-password' }));
    await expectSqlState(bad.connect(), '28P01');
    await bad.end().catch(() => {});
    assert.equal((await client.query('SELECT 2 AS two')).rows[0].two, 2);
  });

  it('INSERT/UPDATE/DELETE with parameters report their row counts', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_crud', 'id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL');
    for (const [id, name] of [[1, 'a'], [2, 'b'], [3, 'c']]) {
      const r = await c.query(`INSERT INTO ${t}(id, name, score) VALUES ($1, $2, $3)`, [id, name, id * 1.5]);
      assert.equal(r.command, 'INSERT');
      assert.equal(r.rowCount, 1);
      assert.equal(r.oid, 0); // command tag "INSERT 0 1"
    }
    let r = await c.query(`UPDATE ${t} SET score = $1 WHERE id >= $2`, [10, 2]);
    assert.deepEqual([r.command, r.rowCount], ['UPDATE', 2]);
    r = await c.query(`UPDATE ${t} SET name = $1 WHERE id = $2`, ['zz', 99]);
    assert.deepEqual([r.command, r.rowCount], ['UPDATE', 0]);
    r = await c.query(`DELETE FROM ${t} WHERE name = $1`, ['a']);
    assert.deepEqual([r.command, r.rowCount], ['DELETE', 1]);
    r = await c.query(`SELECT id, name, score FROM ${t} ORDER BY id`);
    assert.deepEqual([r.command, r.rowCount], ['SELECT', 2]);
    assert.deepEqual(r.rows, [{ id: 2, name: 'b', score: 10 }, { id: 3, name: 'c', score: 10 }]);
  });

  it('SELECT returns typed values and real NULLs', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_types',
      `id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data ${blobType}, flag BOOLEAN`);
    const insert = `INSERT INTO ${t}(id, name, score, data, flag) VALUES ($1, $2, $3, $4, $5)`;
    await c.query(insert, [1, 'héllo', 2.5, Buffer.from([0, 1, 255, 98]), true]);
    await c.query(insert, [2, 'nulls', null, null, null]);
    await c.query(insert, [3, 'off', undefined, null, false]);

    const r = await c.query(`SELECT id, name, score, data, flag FROM ${t} WHERE id = $1`, [1]);
    const row = r.rows[0];
    assert.equal(row.id, 1);
    assert.equal(row.name, 'héllo');
    assert.equal(row.score, 2.5);
    assert.ok(Buffer.isBuffer(row.data), `data is ${typeof row.data}`);
    assert.deepEqual([...row.data], [0, 1, 255, 98]);
    assert.equal(row.flag, true);
    const oids = Object.fromEntries(r.fields.map((f) => [f.name, f.dataTypeID]));
    assert.ok([20, 23].includes(oids.id), `id oid ${oids.id}`); // int8 on ha, int4 on PostgreSQL
    assert.ok([700, 701].includes(oids.score), `score oid ${oids.score}`); // float4/float8
    assert.deepEqual([oids.name, oids.data, oids.flag], [25, 17, 16]);

    const nulls = (await c.query(`SELECT id, name, score, data, flag FROM ${t} WHERE name = $1`, ['nulls'])).rows;
    assert.deepEqual(nulls, [{ id: 2, name: 'nulls', score: null, data: null, flag: null }]);
    const off = (await c.query(`SELECT flag FROM ${t} WHERE id = $1`, [3])).rows[0];
    assert.strictEqual(off.flag, false);

    const count = await c.query(`SELECT count(*) AS n FROM ${t} WHERE id > $1`, [0]);
    assert.strictEqual(count.rows[0].n, 3);
    assert.equal(count.fields[0].dataTypeID, INT8);
  });

  it('errors carry their SQLSTATE and leave the connection usable', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_errors', 'id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE');
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [1, 'a']);
    await expectSqlState(c.query('SELECT * FROM node_no_such_table'), '42P01');
    await expectSqlState(c.query('SELEC 1'), '42601');
    await expectSqlState(c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [2, 'a']), '23505');
    await expectSqlState(c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [1, 'b']), '23505');
    await expectSqlState(c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [3, null]), '23502');
    const { rows } = await c.query(`SELECT id, name FROM ${t}`);
    assert.deepEqual(rows, [{ id: 1, name: 'a' }]);
  });

  it('BEGIN/COMMIT persists and ROLLBACK discards', async () => {
    const c = await connect();
    const other = await connect();
    const t = await freshTable(c, 'node_tx', 'id INTEGER PRIMARY KEY, name TEXT');
    await c.query('BEGIN');
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [1, 'kept']);
    assert.equal((await other.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 0);
    assert.equal((await c.query('COMMIT')).command, 'COMMIT');
    await c.query('BEGIN');
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [2, 'discarded']);
    assert.equal((await c.query('ROLLBACK')).command, 'ROLLBACK');
    const { rows } = await other.query(`SELECT id, name FROM ${t} ORDER BY id`);
    assert.deepEqual(rows, [{ id: 1, name: 'kept' }]);
  });

  it('an error aborts the transaction (25P02) until ROLLBACK', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_tx_abort', 'id INTEGER PRIMARY KEY, name TEXT');
    await c.query('BEGIN');
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [1, 'lost']);
    await expectSqlState(c.query('SELECT * FROM node_tx_abort_missing'), '42P01');
    await expectSqlState(c.query('SELECT 1'), '25P02');
    await expectSqlState(c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [2, 'x']), '25P02');
    await c.query('ROLLBACK');
    assert.equal((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 0);
  });

  it('SAVEPOINT / ROLLBACK TO SAVEPOINT recovers from an error', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_savepoints', 'id INTEGER PRIMARY KEY, name TEXT');
    await c.query('BEGIN');
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [1, 'before']);
    await c.query('SAVEPOINT sp1');
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [2, 'in sp']);
    await expectSqlState(c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [1, 'dup']), '23505');
    await expectSqlState(c.query('SELECT 1'), '25P02');
    await c.query('ROLLBACK TO SAVEPOINT sp1');
    await c.query(`INSERT INTO ${t} VALUES ($1, $2)`, [3, 'after']);
    await c.query('RELEASE SAVEPOINT sp1');
    await c.query('COMMIT');
    const { rows } = await c.query(`SELECT id FROM ${t} ORDER BY id`);
    assert.deepEqual(rows.map((r) => r.id), [1, 3]);
  });

  it('a named prepared statement returns fresh results as the data changes', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_prepared', 'id INTEGER PRIMARY KEY, name TEXT, score REAL');
    const count = { name: 'node-count-above', text: `SELECT count(*) AS n, sum(score) AS s FROM ${t} WHERE score >= $1` };
    const insert = { name: 'node-insert', text: `INSERT INTO ${t} VALUES ($1, $2, $3)` };
    for (let i = 1; i <= 6; i++) {
      const r = await c.query({ ...insert, values: [i, `n${i}`, i] });
      assert.equal(r.rowCount, 1);
      const { rows } = await c.query({ ...count, values: [2] });
      assert.equal(rows[0].n, Math.max(i - 1, 0));
      assert.equal(rows[0].s ?? 0, (i * (i + 1)) / 2 - 1);
    }
    await c.query(`UPDATE ${t} SET score = $1`, [0]);
    const { rows } = await c.query({ ...count, values: [2] });
    assert.deepEqual(rows, [{ n: 0, s: null }]);
  });

  it('a simple query with several statements returns each result', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_multi', 'id INTEGER PRIMARY KEY, name TEXT');
    // No values: node-postgres sends this as one simple-protocol Query message.
    const results = await c.query(
      `INSERT INTO ${t} VALUES (1, 'x'); INSERT INTO ${t} VALUES (2, 'y'); SELECT name FROM ${t} ORDER BY id`);
    assert.equal(results.length, 3);
    assert.deepEqual(results.map((r) => [r.command, r.rowCount]), [['INSERT', 1], ['INSERT', 1], ['SELECT', 2]]);
    assert.deepEqual(results[2].rows, [{ name: 'x' }, { name: 'y' }]);
  });

  it('a pool serves concurrent queries', async () => {
    const setup = await connect();
    const t = await freshTable(setup, 'node_pool', 'id INTEGER PRIMARY KEY, name TEXT');
    const pool = new pg.Pool(server.config({ types, max: 4 }));
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) =>
        pool.query(`INSERT INTO ${t} VALUES ($1, $2)`, [i, `p${i}`])));
      const { rows } = await pool.query(`SELECT count(*) AS n, max(id) AS m FROM ${t}`);
      assert.deepEqual(rows, [{ n: 20, m: 19 }]);
    } finally {
      await pool.end();
    }
  });

  it('SHOW DATABASES lists ha.db', { skip: isHa ? false : 'ha-specific: not on real PostgreSQL' }, async () => {
    const c = await connect();
    const { rows } = await c.query('SHOW DATABASES');
    const values = rows.flatMap((row) => Object.values(row).map(String));
    assert.ok(values.some((v) => v.includes('ha.db')), JSON.stringify(rows));
  });

  // SQLite's dynamic typing: a column holds whatever each row stored, whatever its declared type.
  // ha describes a result column after seeing its values when it can (the simple protocol, and
  // portals it describes in the extended protocol): in its declared type when every value fits
  // it, else in the one type its values share (integers with reals: float8), else as text, which
  // carries any value. A real PostgreSQL refuses to store such data, hence ha-only.
  const dynamicTyping = { skip: isHa ? false : 'ha-specific: SQLite dynamic typing, not on real PostgreSQL' };
  const TEXT = 25;
  const FLOAT8 = 701;
  const BYTEA = 17;

  // The same query through the simple protocol (no parameters) and the extended one.
  const bothProtocols = (text) => [['simple', { text }], ['extended', { text, queryMode: 'extended' }]];

  // A table whose columns hold values of several storage classes. SQLite keeps: i = integer 1,
  // real 2.5, text 'z', integer 2; r = real 1.5, text 'zz', real 2.0, NULL; t = 'a', '3', blob
  // x'41', NULL; b = blob 00ff, text 'text', integer 7, NULL; n = 1, 2.5, 'n', NULL; u = 1, 'z',
  // 2.5, blob 0102.
  async function mixedTable(client, name) {
    await freshTable(client, name, 'i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, u');
    await client.query(`INSERT INTO ${name} VALUES (1, 1.5, 'a', x'00ff', 1, 1), `
      + `(2.5, 'zz', 3, 'text', 2.5, 'z'), ('z', 2, x'41', 7, 'n', 2.5), `
      + `(2.0, NULL, NULL, NULL, NULL, x'0102')`);
    return name;
  }

  it('columns whose values share no type come back as text', dynamicTyping, async () => {
    const c = await connect();
    const t = await mixedTable(c, 'node_dyn_text');
    for (const [mode, query] of bothProtocols(`SELECT i, r, t, b, n, u FROM ${t} ORDER BY rowid`)) {
      const r = await c.query(query);
      assert.deepEqual(r.fields.map((f) => [f.name, f.dataTypeID]),
        [['i', TEXT], ['r', TEXT], ['t', TEXT], ['b', TEXT], ['n', TEXT], ['u', TEXT]], mode);
      // Integers in decimal, reals as SQLite writes them, blobs as PostgreSQL's bytea text.
      assert.deepEqual(r.rows, [
        { i: '1', r: '1.5', t: 'a', b: '\\x00ff', n: '1', u: '1' },
        { i: '2.5', r: 'zz', t: '3', b: 'text', n: '2.5', u: 'z' },
        { i: 'z', r: '2.0', t: '\\x41', b: '7', n: 'n', u: '2.5' },
        { i: '2', r: null, t: null, b: null, n: null, u: '\\x0102' },
      ], mode);
    }
  });

  it('columns whose values all fit a type come back in it', dynamicTyping, async () => {
    const c = await connect();
    const t = await mixedTable(c, 'node_dyn_typed');
    const cases = [
      [`SELECT i FROM ${t} WHERE rowid IN (1,4) ORDER BY rowid`, INT8, [1, 2]],
      [`SELECT i FROM ${t} WHERE rowid IN (1,2) ORDER BY rowid`, FLOAT8, [1, 2.5]], // integer with real
      [`SELECT r FROM ${t} WHERE rowid IN (1,3) ORDER BY rowid`, FLOAT8, [1.5, 2]],
      [`SELECT b FROM ${t} WHERE rowid = 1`, BYTEA, [Buffer.from([0x00, 0xff])]],
      [`SELECT b FROM ${t} WHERE rowid IN (1,2) ORDER BY rowid`, BYTEA, // text fits bytea
        [Buffer.from([0x00, 0xff]), Buffer.from('text')]],
    ];
    for (const [sql, oid, values] of cases) {
      for (const [mode, query] of bothProtocols(sql)) {
        const r = await c.query(query);
        const what = `${mode}: ${sql}`;
        assert.equal(r.fields[0].dataTypeID, oid, what);
        assert.deepEqual(r.rows.map((row) => Object.values(row)[0]), values, what);
      }
    }
  });

  it('expressions mixing storage classes come back as text', dynamicTyping, async () => {
    const c = await connect();
    const cases = [
      ["SELECT 1 UNION ALL SELECT 'x'", [TEXT], [['1'], ['x']]],
      ["SELECT 'x' UNION ALL SELECT 1", [TEXT], [['x'], ['1']]],
      ["SELECT 1.0e300 UNION ALL SELECT 'x'", [TEXT], [['1.0e+300'], ['x']]], // a real as SQLite writes it
      ["SELECT a, CASE WHEN a > 1 THEN 'big' ELSE a END AS c "
        + 'FROM (SELECT 1 AS a UNION ALL SELECT 2) ORDER BY a', [INT8, TEXT], [[1, '1'], [2, 'big']]],
    ];
    for (const [sql, oids, rows] of cases) {
      for (const [mode, query] of bothProtocols(sql)) {
        const r = await c.query({ ...query, rowMode: 'array' });
        const what = `${mode}: ${sql}`;
        assert.deepEqual(r.fields.map((f) => f.dataTypeID), oids, what);
        assert.deepEqual(r.rows, rows, what);
      }
    }
  });

  it('a named prepared statement follows each execution\'s row types', dynamicTyping, async () => {
    const c = await connect();
    const t = await mixedTable(c, 'node_dyn_prepared');
    const query = { name: 'node-dyn-row', text: `SELECT i, r FROM ${t} WHERE rowid = $1` };
    // node-postgres describes the portal on every execution: the types follow each row.
    const expected = {
      1: [[INT8, FLOAT8], { i: 1, r: 1.5 }],
      2: [[FLOAT8, TEXT], { i: 2.5, r: 'zz' }],
      3: [[TEXT, FLOAT8], { i: 'z', r: 2 }],
      4: [[INT8, FLOAT8], { i: 2, r: null }],
    };
    for (let round = 1; round <= 3; round++) {
      for (const id of [1, 2, 3, 4]) {
        const r = await c.query({ ...query, values: [id] });
        const [oids, row] = expected[id];
        assert.deepEqual(r.fields.map((f) => f.dataTypeID), oids, `round ${round}, rowid ${id}`);
        assert.deepEqual(r.rows, [row], `round ${round}, rowid ${id}`);
      }
    }
  });
});
