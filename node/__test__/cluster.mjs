// Real parts for the tests: a nats-server with JetStream (restartable on its port) and `ha`
// nodes following it, each started from $HA_BIN on port 0 (its `listening` log record says
// which port it got).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, homedir } from 'node:os'
import path from 'node:path'
import readline from 'node:readline'

const READY_MS = 30000

export function haBin () {
  const target = process.env.CARGO_TARGET_DIR || path.join(homedir(), '.cache', 'ha', 'target')
  return process.env.HA_BIN || path.join(target, 'debug', 'ha')
}

function natsBin () {
  return process.env.HA_NATS_BIN || 'nats-server'
}

/** Retries `check` until it returns a truthy value without throwing. */
export async function eventually (check, what = 'condition', timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      const value = await check()
      if (value) return value
      last = value
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`${what} never held; last: ${last && last.stack ? last.stack : JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

// Starts `command`, resolves once a line of its stderr satisfies `ready` (which returns what
// the caller needs, or undefined).
function startProcess (command, args, options, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] })
    const lines = []
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} did not start:\n${lines.join('\n')}`))
    }, READY_MS)
    let done = false
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line)
      if (done) return
      const found = ready(line)
      if (found !== undefined) {
        done = true
        clearTimeout(timer)
        resolve({ child, found })
      }
    })
    child.on('exit', (code) => {
      if (!done) {
        clearTimeout(timer)
        reject(new Error(`${command} exited (${code}):\n${lines.join('\n')}`))
      }
    })
  })
}

export class Broker {
  static async start () {
    const broker = new Broker()
    broker.dir = mkdtempSync(path.join(tmpdir(), 'ha-js-nats-'))
    broker.port = null
    await broker.resume()
    return broker
  }

  get url () {
    return `nats://127.0.0.1:${this.port}`
  }

  async resume () {
    let port = this.port
    const { child } = await startProcess(natsBin(),
      ['-js', '-a', '127.0.0.1', '-p', String(port || -1), '-sd', this.dir], {}, (line) => {
        const listening = line.match(/Listening for client connections on [^:]+:(\d+)/)
        if (listening) port = Number(listening[1])
        return line.includes('Server is ready') ? true : undefined
      })
    this.port = port
    this.child = child
  }

  async stop () {
    if (!this.child) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    await exited
    this.child = null
  }

  async cleanup () {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

let names = 0

export class Node {
  static async start (...args) {
    const node = new Node()
    node.dir = mkdtempSync(path.join(tmpdir(), 'ha-js-node-'))
    node.name = `jsnode${++names}`
    node.args = args
    await node.launch(0)
    return node
  }

  /** SIGKILL, then the same node again on the same port and files. */
  async restart () {
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGKILL')
    await exited
    await this.launch(Number(this.address.split(':').pop()))
  }

  async launch (port) {
    const node = this
    const { child, found } = await startProcess(haBin(),
      ['-n', node.name, `--port=${port}`, '--bind-address=127.0.0.1', '--log-format=json', ...node.args],
      { cwd: node.dir }, (line) => {
        try {
          const record = JSON.parse(line)
          const fields = record.fields || {}
          return fields.message === 'listening' ? fields.http_addr : undefined
        } catch (_) {
          return undefined
        }
      })
    node.child = child
    node.address = found
  }

  get url () {
    return `http://${this.address}`
  }

  async stop () {
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    await exited
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Two nodes of ha.db following one broker, and a directory for replicas. */
export class Cluster {
  static async start () {
    const cluster = new Cluster()
    cluster.broker = await Broker.start()
    cluster.nodes = [
      await Node.start('--nats-port=0', `--replication-url=${cluster.broker.url}`, 'ha.db'),
      await Node.start('--nats-port=0', `--replication-url=${cluster.broker.url}`, 'ha.db')
    ]
    cluster.replicas = mkdtempSync(path.join(tmpdir(), 'ha-js-replicas-'))
    return cluster
  }

  replicaPath (name) {
    return path.join(this.replicas, `${name}.db`)
  }

  replicaOptions (name, extra = {}) {
    return { replicationUrl: this.broker.url, node: name, database: 'ha.db', ...extra }
  }

  async stop () {
    for (const node of this.nodes) await node.stop()
    await this.broker.cleanup()
    rmSync(this.replicas, { recursive: true, force: true })
  }
}
