// Many requests at once, one outcome each, in request order.
import { Client } from './client.js';

/**
 * Sends every request on one fresh {@link Client} and waits for all of them.
 * Each result is `{url, method, status, headers, body, attempts, error}`:
 * on success `error` is null; on failure `status`, `headers` and `body` are
 * null and `error` is a `PipeliningError` (with `kind` and `attempts`).
 *
 * @param {Array<string | {method?: string, url: string, headers?: object, body?: string | Uint8Array}>} requests
 * @param {object} [options] `{depth, connections, maxTries, timeoutMs, …}`:
 *   the {@link Client}'s options; `timeoutMs` sets both the connect and the
 *   stall timeout.
 */
export async function fetchAll(requests, options = {}) {
  const client = new Client(options);
  try {
    return await Promise.all(
      requests.map((request) => {
        const init = typeof request === 'string' ? { url: request } : request;
        const method = init.method ?? 'GET';
        return client.request({ ...init, whole: true }).then(
          (response) => ({ url: String(init.url), method, ...response, error: null }),
          (error) => ({
            url: String(init.url),
            method,
            status: null,
            headers: null,
            body: null,
            attempts: error?.attempts ?? 0,
            error,
          }),
        );
      }),
    );
  } finally {
    client.close();
  }
}
