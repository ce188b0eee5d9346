'use strict';
// Starts one standalone `ha` node with its MySQL front end on a free port, or points at a
// running server when MYSQL_TEST_PORT is set (MYSQL_TEST_HOST, MYSQL_TEST_FLAVOR=mariadb|mysql|ha).
// The node is ready when its JSON log says `listening` and the MySQL port accepts connections.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const USER = 'ha';
const PASSWORD = 'ha';
const DATABASE = 'ha.db';
const READY_TIMEOUT_MS = 30_000;

const external = Boolean(process.env.MYSQL_TEST_PORT);
const flavor = external ? (process.env.MYSQL_TEST_FLAVOR || 'mariadb') : 'ha';
const isHa = flavor === 'ha';
// A key the server numbers by itself: SQLite's rowid alias on ha.
const autoinc = isHa ? 'INTEGER PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTO_INCREMENT';

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
    this.host = process.env.MYSQL_TEST_HOST || '127.0.0.1';
    this.port = external ? Number(process.env.MYSQL_TEST_PORT) : 0;
    this.child = null;
    this.dir = null;
    this.listening = null;
    this.output = [];
  }

  async start() {
    if (external) return this;
    const bin = haBin();
    fs.accessSync(bin, fs.constants.X_OK);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ha-mysql-node-'));
    this.logPath = path.join(this.dir, 'ha.log');
    this.port = await freePort();
    const log = fs.createWriteStream(this.logPath);
    this.child = spawn(bin, [
      '-n', 'mysqltest', '--port=0', '--bind-address=127.0.0.1', '--log-format=json',
      '--nats-port=0', '-m', `--mysql-port=${this.port}`, `--mysql-user=${USER}`,
      `--mysql-pass=${PASSWORD}`, DATABASE,
    ], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let exited = null;
    this.child.once('exit', (code, signal) => { exited = { code, signal }; });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        this.output.push(line);
        try {
          const record = JSON.parse(line);
          if (record.fields && record.fields.message === 'listening') this.listening = record.fields;
        } catch { /* not a JSON record */ }
      });
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited || Date.now() > deadline) {
        const why = exited ? `exited (${exited.code ?? exited.signal})`
          : `not ready on port ${this.port} after ${READY_TIMEOUT_MS / 1000}s`;
        await this.stop();
        throw new Error(`ha ${why}; its output:\n${this.output.join('\n')}`);
      }
      if (this.listening && await canConnect('127.0.0.1', this.port)) return this;
      await sleep(50);
    }
  }

  alive() {
    return !this.child || (this.child.exitCode === null && this.child.signalCode === null);
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
    if (this.dir && !process.env.HA_MYSQL_TEST_KEEP_LOG) {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  config(overrides = {}) {
    return {
      host: this.host, port: this.port, user: USER, password: PASSWORD, database: DATABASE,
      connectTimeout: 10_000, ...overrides,
    };
  }
}

module.exports = { Server, isHa, flavor, autoinc };
