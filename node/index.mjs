// ESM entry: the same module as index.js.
import cjs from './index.js'

export const { connect, Connection, Transaction, HaError } = cjs
export default cjs
