'use strict';
// ha's MySQL front end driven by mysql2 (promise API): query() is the text protocol with
// client-side `?` interpolation, execute() uses server-side prepared statements
// (COM_STMT_PREPARE / EXECUTE / CLOSE).

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const mysql = require('mysql2/promise');
const { Server, isHa, autoinc } = require('./server');

const BIGINT_MAX = '9223372036854775807';
const BIGINT_MIN = '-9223372036854775808';

describe('ha MySQL wire with mysql2', () => {
  const server = new Server();
  const conns = [];

  async function connect(overrides = {}) {
    const c = await mysql.createConnection(server.config(overrides));
    conns.push(c);
    return c;
  }

  // Drops and creates a table (reruns against a persistent server start clean).
  async function freshTable(c, name, columns) {
    await c.query(`DROP TABLE IF EXISTS ${name}`);
    await c.query(`CREATE TABLE ${name}(${columns.replace('{autoinc}', autoinc)})`);
    return name;
  }

  async function expectMysqlError(promise, { errno, sqlState, code }) {
    await assert.rejects(promise, (err) => {
      const got = `${err.errno} ${err.sqlState} ${err.code}: ${err.message}`;
      assert.equal(err.errno, errno, got);
      assert.equal(err.sqlState, sqlState, got);
      assert.equal(err.code, code, got);
      return true;
    });
  }

  before(async () => { await server.start(); });

  after(async () => {
    await Promise.allSettled(conns.map((c) => c.end()));
    assert.ok(server.alive(), 'the ha process died during the suite');
    await server.stop();
  });

  it('connects with ha/ha and refuses a wrong password with 1045 (28000)', async () => {
    const c = await connect();
    const [rows] = await c.query('SELECT 1 AS one, DATABASE() AS db');
    assert.deepEqual(rows, [{ one: 1, db: 'ha.db' }]);
    await expectMysqlError(mysql.createConnection(server.config({ password: 'not-the-password' })),
      { errno: 1045, sqlState: '28000', code: 'ER_ACCESS_DENIED_ERROR' });
    const [[again]] = await c.query('SELECT 2 AS two');
    assert.equal(again.two, 2);
  });

  it('query() CRUD with ? parameters reports affectedRows and insertId', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_crud', 'id {autoinc}, name VARCHAR(50) NOT NULL, score DOUBLE');
    let [r] = await c.query(`INSERT INTO ${t}(name, score) VALUES (?, ?)`, ['a', 1.5]);
    assert.deepEqual([r.affectedRows, r.insertId], [1, 1]);
    [r] = await c.query(`INSERT INTO ${t}(name, score) VALUES ?`, [[['b', 2.5], ['c', 3.5]]]);
    assert.equal(r.affectedRows, 2);
    [r] = await c.query(`UPDATE ${t} SET score = ? WHERE id >= ?`, [10, 2]);
    assert.equal(r.affectedRows, 2);
    [r] = await c.query(`UPDATE ${t} SET name = ? WHERE id = ?`, ['zz', 99]);
    assert.equal(r.affectedRows, 0);
    [r] = await c.query(`DELETE FROM ${t} WHERE name = ?`, ['a']);
    assert.equal(r.affectedRows, 1);
    const [rows, fields] = await c.query(`SELECT id, name, score FROM ${t} ORDER BY id`);
    assert.deepEqual(fields.map((f) => f.name), ['id', 'name', 'score']);
    assert.deepEqual(rows, [{ id: 2, name: 'b', score: 10 }, { id: 3, name: 'c', score: 10 }]);
  });

  it("execute('SELECT ?', [1]) runs a server-side prepared statement", async () => {
    const c = await connect();
    const [rows] = await c.execute('SELECT ? AS v', [1]);
    assert.equal(rows.length, 1);
    assert.equal(Number(rows[0].v), 1);
    const [[text]] = await c.execute('SELECT ? AS s, ? AS n', ['héllo', null]);
    assert.deepEqual(text, { s: 'héllo', n: null });
  });

  it('execute() CRUD with prepared statements, reused and closed', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_exec', 'id {autoinc}, name VARCHAR(50) NOT NULL, qty INTEGER, score DOUBLE');
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries()) {
      const [r] = await c.execute(`INSERT INTO ${t}(name, qty, score) VALUES (?, ?, ?)`, [name, i, i * 0.5]);
      assert.deepEqual([r.affectedRows, r.insertId], [1, i + 1]);
    }
    let [r] = await c.execute(`UPDATE ${t} SET score = ? WHERE qty >= ?`, [9.25, 2]);
    assert.equal(r.affectedRows, 2);
    [r] = await c.execute(`DELETE FROM ${t} WHERE name = ?`, ['a']);
    assert.equal(r.affectedRows, 1);
    const select = `SELECT id, name, qty, score FROM ${t} WHERE qty >= ? ORDER BY id`;
    const [rows, fields] = await c.execute(select, [1]);
    assert.deepEqual(fields.map((f) => f.name), ['id', 'name', 'qty', 'score']);
    assert.deepEqual(rows, [
      { id: 2, name: 'b', qty: 1, score: 0.5 },
      { id: 3, name: 'c', qty: 2, score: 9.25 },
      { id: 4, name: 'd', qty: 3, score: 9.25 },
    ]);
    // The cached statement again, with other parameters, then explicitly closed.
    const [fewer] = await c.execute(select, [3]);
    assert.deepEqual(fewer.map((row) => row.id), [4]);
    c.unprepare(select);
    const [again] = await c.execute(select, [2]);
    assert.deepEqual(again.map((row) => row.id), [3, 4]);
    // prepare() / execute() / close() by hand.
    const stmt = await c.prepare(`SELECT name FROM ${t} WHERE id = ?`);
    assert.equal(stmt.statement.parameters.length, 1);
    assert.equal(stmt.statement.columns.length, 1);
    const [[named]] = await stmt.execute([3]);
    assert.equal(named.name, 'c');
    const [none] = await stmt.execute([999]);
    assert.deepEqual(none, []);
    await stmt.close();
  });

  it('BLOB values come back as Buffers, exactly', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_blob', 'id INTEGER PRIMARY KEY, data BLOB');
    const bytes = Buffer.from([0x00, 0xff, 0x00, 0x61, 0x62, 0xff, 0x80]);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await c.query(`INSERT INTO ${t} VALUES (?, ?)`, [1, bytes]);
    await c.execute(`INSERT INTO ${t} VALUES (?, ?)`, [2, all]);
    await c.execute(`INSERT INTO ${t} VALUES (?, ?)`, [3, Buffer.alloc(0)]);
    await c.execute(`INSERT INTO ${t} VALUES (?, ?)`, [4, null]);
    for (const run of [c.query.bind(c), c.execute.bind(c)]) {
      const [rows] = await run(`SELECT id, data FROM ${t} ORDER BY id`);
      assert.ok(Buffer.isBuffer(rows[0].data));
      assert.deepEqual(rows.map((row) => row.data), [bytes, all, Buffer.alloc(0), null]);
    }
    const [[found]] = await c.execute(`SELECT id FROM ${t} WHERE data = ?`, [bytes]);
    assert.equal(found.id, 1);
  });

  it('BIGINT at the edges with supportBigNumbers and bigNumberStrings', async () => {
    const c = await connect({ supportBigNumbers: true, bigNumberStrings: true });
    const t = await freshTable(c, 'node_bigint', 'id INTEGER PRIMARY KEY, big BIGINT, dbl DOUBLE, txt TEXT');
    await c.execute(`INSERT INTO ${t} VALUES (?, ?, ?, ?)`, [1, BIGINT_MAX, 3.141592653589793, 'héllo ✓ 日本 🎉']);
    await c.query(`INSERT INTO ${t} VALUES (?, ?, ?, ?)`, [2, BIGINT_MIN, -0.5, '']);
    await c.execute(`INSERT INTO ${t} VALUES (?, ?, ?, ?)`, [3, 9007199254740993n, 1e300, null]);
    for (const run of [c.query.bind(c), c.execute.bind(c)]) {
      const [rows] = await run(`SELECT id, big, dbl, txt FROM ${t} ORDER BY id`);
      assert.deepEqual(rows.map((row) => row.big), [BIGINT_MAX, BIGINT_MIN, '9007199254740993']);
      assert.deepEqual(rows.map((row) => row.dbl), [3.141592653589793, -0.5, 1e300]);
      assert.deepEqual(rows.map((row) => row.txt), ['héllo ✓ 日本 🎉', '', null]);
    }
    const [[found]] = await c.execute(`SELECT id FROM ${t} WHERE big = ?`, [BIGINT_MAX]);
    assert.equal(Number(found.id), 1);
    // Without the options a BIGINT that fits a double is a plain number.
    const plain = await connect();
    const [[small]] = await plain.query(`SELECT big FROM ${t} WHERE id = 2 OR big = -1`);
    assert.equal(typeof small.big, 'number');
  });

  it('transactions: commit keeps, rollback discards', async () => {
    const c = await connect();
    const other = await connect();
    const t = await freshTable(c, 'node_tx', 'id INTEGER PRIMARY KEY, name VARCHAR(50)');
    await c.beginTransaction();
    await c.execute(`INSERT INTO ${t} VALUES (?, ?)`, [1, 'kept']);
    await c.commit();
    await c.beginTransaction();
    await c.query(`INSERT INTO ${t} VALUES (?, ?)`, [2, 'discarded']);
    const [[inside]] = await c.query(`SELECT count(*) AS n FROM ${t}`);
    assert.equal(Number(inside.n), 2);
    const [[outside]] = await other.query(`SELECT count(*) AS n FROM ${t}`);
    assert.equal(Number(outside.n), 1);
    await c.rollback();
    await c.query('SET autocommit = 0');
    await c.execute(`INSERT INTO ${t} VALUES (?, ?)`, [3, 'never committed']);
    await c.query('ROLLBACK');
    await c.execute(`INSERT INTO ${t} VALUES (?, ?)`, [4, 'committed']);
    await c.query('COMMIT');
    await c.query('SET autocommit = 1');
    const [rows] = await other.query(`SELECT id FROM ${t} ORDER BY id`);
    assert.deepEqual(rows.map((row) => row.id), [1, 4]);
  });

  it('errors carry errno, sqlState and code, through query() and execute()', async () => {
    const c = await connect();
    const t = await freshTable(c, 'node_errors', 'id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE');
    await c.query(`INSERT INTO ${t} VALUES (1, 'a')`);
    const cases = [
      ['SELEC 1', [], { errno: 1064, sqlState: '42000', code: 'ER_PARSE_ERROR' }],
      ['SELECT * FROM node_no_such_table', [], { errno: 1146, sqlState: '42S02', code: 'ER_NO_SUCH_TABLE' }],
      [`INSERT INTO ${t} VALUES (?, ?)`, [1, 'b'], { errno: 1062, sqlState: '23000', code: 'ER_DUP_ENTRY' }],
      [`INSERT INTO ${t} VALUES (?, ?)`, [2, 'a'], { errno: 1062, sqlState: '23000', code: 'ER_DUP_ENTRY' }],
      [`INSERT INTO ${t} VALUES (?, ?)`, [3, null], { errno: 1048, sqlState: '23000', code: 'ER_BAD_NULL_ERROR' }],
    ];
    for (const [sql, params, expected] of cases) {
      await expectMysqlError(c.query(sql, params), expected);
      await expectMysqlError(c.execute(sql, params), expected);
    }
    const [rows] = await c.query(`SELECT id, name FROM ${t}`);
    assert.deepEqual(rows, [{ id: 1, name: 'a' }]);
  });

  it('USE of an unknown database is ER_BAD_DB_ERROR and the connection stays usable', async () => {
    const c = await connect();
    await expectMysqlError(c.query('USE `node_no_such.db`'),
      { errno: 1049, sqlState: '42000', code: 'ER_BAD_DB_ERROR' });
    const [[row]] = await c.query('SELECT DATABASE() AS db, 5 AS five');
    assert.deepEqual(row, { db: 'ha.db', five: 5 });
    await expectMysqlError(mysql.createConnection(server.config({ database: 'node_no_such.db' })),
      { errno: 1049, sqlState: '42000', code: 'ER_BAD_DB_ERROR' });
  });

  it('a pool serves concurrent queries on several connections', async () => {
    const pool = mysql.createPool(server.config({ connectionLimit: 4 }));
    try {
      const c = await pool.getConnection();
      await freshTable(c, 'node_pool', 'id INTEGER PRIMARY KEY, v INTEGER');
      c.release();
      await Promise.all(Array.from({ length: 40 }, (_, i) => pool.execute('INSERT INTO node_pool VALUES (?, ?)', [i, i * 2])));
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.query('SELECT v FROM node_pool WHERE id = ?', [i])));
      assert.deepEqual(results.map(([rows]) => rows[0].v), Array.from({ length: 40 }, (_, i) => i * 2));
    } finally {
      await pool.end();
    }
  });

  it('SHOW DATABASES lists ha.db and SHOW TABLES the tables', async () => {
    const c = await connect();
    await freshTable(c, 'node_listed', 'id INTEGER PRIMARY KEY');
    const [dbs] = await c.query('SHOW DATABASES');
    assert.ok(dbs.some((row) => row.Database === 'ha.db'), JSON.stringify(dbs));
    const [tables, fields] = await c.query('SHOW TABLES');
    assert.equal(fields[0].name, 'Tables_in_ha.db');
    const names = tables.map((row) => row['Tables_in_ha.db']);
    assert.ok(names.includes('node_listed'), JSON.stringify(names));
    if (isHa) assert.deepEqual(names.filter((n) => n.startsWith('_ha_')), []);
  });
});
