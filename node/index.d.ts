/** A value as ha returns it: integers beyond 2^53 (or every one, with `bigint: true`) as bigint. */
export type Value = null | number | bigint | string | Buffer
/** A parameter: also booleans (0/1), undefined (NULL) and Uint8Array (bytes). */
export type Param = Value | boolean | undefined | Uint8Array
export type Params = Param[] | Record<string, Param>
export type RowMode = 'object' | 'array'

export interface ConnectOptions {
  /** The node's API token (remote). */
  token?: string
  /** Remote: where statements go. Replica: the cluster database it follows (default: the file's name). */
  database?: string
  /** Replica: the cluster's broker, e.g. `nats://localhost:4222`. */
  replicationUrl?: string
  /** Replica: its name in the cluster. */
  node?: string
  /** Replica: refuse writes. */
  readOnly?: boolean
  /** Replica: how long a write waits for the broker, in milliseconds. */
  timeoutMs?: number
  /** `https://`: a PEM file of a certificate authority to trust besides the system's. */
  tlsCaFile?: string
  /** Every integer as a bigint (default: only those beyond 2^53). */
  bigint?: boolean
  /** Rows as objects keyed by column (default) or as arrays. */
  rowMode?: RowMode
}

export interface QueryResult<Row = Record<string, Value>> {
  columns: string[]
  rows: Row[]
}

export interface ExecuteResult {
  rowsAffected: number
  lastInsertId: number | bigint
  /** The log sequence of the write, for `waitFor` on another connection. */
  seq: number | null
}

export interface Status {
  appliedSeq: number
  lag: number
  held: number
  error?: string | null
}

export interface QueryOptions {
  rowMode?: RowMode
}

export declare class HaError extends Error {
  /** The stable code: `sql_constraint`, `sql_syntax`, `unavailable`, `unauthorized`, `read_only`, ... */
  code: string
  /** In a batch: the statement that failed. */
  statementIndex?: number
}

export declare class Transaction {
  query<Row = Record<string, Value>>(sql: string, params?: Params, options?: QueryOptions): Promise<QueryResult<Row>>
  execute(sql: string, params?: Params): Promise<ExecuteResult>
}

export declare class Connection {
  query<Row = Record<string, Value>>(sql: string, params?: Params, options?: QueryOptions): Promise<QueryResult<Row>>
  execute(sql: string, params?: Params): Promise<ExecuteResult>
  /** Several statements in one transaction, in one call. */
  batch(statements: Array<string | { sql: string, params?: Params }>): Promise<Array<QueryResult | ExecuteResult>>
  /** Commits when `fn` resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>
  status(): Status
  readonly lastSeq: number | null
  waitFor(seq: number | null, options?: { timeoutMs?: number }): Promise<void>
  close(): Promise<void>
  readonly closed: boolean
}

export declare function connect(url: string, options?: ConnectOptions): Promise<Connection>
