// Errors of the Node driver: a kind from docs/DESIGN.md C5 and the attempts made.

/**
 * Why a request failed. `kind` is one of the C5 names (`connect`,
 * `timeout`, `protocol`, `limit`, `connection_lost`,
 * `may_have_been_processed`, `max_tries`, `http_status`,
 * `invalid_request`, `cancelled`); `attempts` is how many times the request
 * was written, fully or partly.
 */
export class PipeliningError extends Error {
  constructor(kind, message, attempts = 0) {
    super(message);
    this.name = 'PipeliningError';
    this.kind = kind;
    this.attempts = attempts;
  }
}
