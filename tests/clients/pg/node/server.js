'use strict';
// Starts one standalone `ha` node with its PostgreSQL front end on a free port, or points at a
// running server when PG_TEST_PORT is set (PG_TEST_HOST, PG_TEST_FLAVOR=postgres|ha).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const USER = 'ha';
const PASSWORD = 'ha';
const DATABASE = 'ha';
const READY_TIMEOUT_MS = 30_000;

const external = Boolean(process.env.PG_TEST_PORT);
const flavor = external ? (process.env.PG_TEST_FLAVOR || 'postgres') : 'ha';
const isHa = flavor === 'ha';
// Binary column type: SQLite's BLOB on ha, BYTEA on PostgreSQL.
const blobType = isHa ? 'BLOB' : 'BYTEA';

function haBin() {
  if (process.env.HA_BIN) return process.env.HA_BIN;
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'ha', 'target');
  return path.join(targetDir, 'debug', 'ha');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(1000);
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.once('timeout', () => done(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Server {
  constructor() {
    this.host = process.env.PG_TEST_HOST || '127.0.0.1';
    this.port = external ? Number(process.env.PG_TEST_PORT) : 0;
    this.child = null;
    this.dir = null;
  }

  async start() {
    if (external) return this;
    const bin = haBin();
    fs.accessSync(bin, fs.constants.X_OK);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ha-pg-node-'));
    this.logPath = path.join(this.dir, 'ha.log');
    this.port = await freePort();
    const log = fs.openSync(this.logPath, 'w');
    this.child = spawn(bin, [
      '-n', 'pgtest', '-m', '--nats-port', '0', '--port', '0', '--bind-address', '127.0.0.1',
      '--pg-port', String(this.port), '--pg-user', USER, '--pg-pass', PASSWORD,
    ], { cwd: this.dir, stdio: ['ignore', log, log], env: { ...process.env, NO_COLOR: '1' } });
    fs.closeSync(log);
    let exited = null;
    this.child.once('exit', (code, signal) => { exited = { code, signal }; });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited || Date.now() > deadline) {
        const why = exited ? `exited (${exited.code ?? exited.signal})`
          : `not accepting connections on port ${this.port} after ${READY_TIMEOUT_MS / 1000}s`;
        const output = fs.readFileSync(this.logPath, 'utf8');
        await this.stop();
        throw new Error(`ha ${why}; its output:\n${output}`);
      }
      if (await canConnect('127.0.0.1', this.port)) return this;
      await sleep(100);
    }
  }

  async stop() {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir && !process.env.HA_PG_TEST_KEEP_LOG) {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  config(overrides = {}) {
    return {
      host: this.host, port: this.port, user: USER, password: PASSWORD, database: DATABASE,
      connectionTimeoutMillis: 10_000, ...overrides,
    };
  }
}

module.exports = { Server, isHa, flavor, blobType };
