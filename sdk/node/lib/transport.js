'use strict';
/** HTTP with the service: bearer auth, per-request timeouts, retries with backoff on 429/502/503/504. */

const { setTimeout: sleep } = require('node:timers/promises');
const { ServiceUnavailableError, errorFor } = require('./errors');

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const USER_AGENT = 'paitient-secure-model-node/0.1.0';
const MAX_BACKOFF_MS = 8000;

class Transport {
  #apiKey;
  #fetch;

  /**
   * @param {string} baseUrl
   * @param {string} apiKey
   * @param {{timeoutMs: number, maxRetries: number, backoffBaseMs?: number, fetch?: typeof fetch}} options
   */
  constructor(baseUrl, apiKey, { timeoutMs, maxRetries, backoffBaseMs = 250, fetch: fetchImpl }) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.timeoutMs = timeoutMs;
    this.maxRetries = maxRetries;
    this.backoffBaseMs = backoffBaseMs;
    this.#apiKey = apiKey;
    this.#fetch = fetchImpl || globalThis.fetch;
  }

  /** The parsed JSON body (null when empty). */
  async request(method, path, { params, json } = {}) {
    const text = await this.#send(method, path, { params, json, read: (r) => r.text() });
    return text ? JSON.parse(text) : null;
  }

  /**
   * Open a server-sent event stream (no retries: a stream is not replayed). A refusal throws like `request`;
   * the timeout covers the wait for the answer to start, not the stream. Iterate `serverSentEvents(response)`.
   */
  async stream(method, path, { json } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), this.timeoutMs);
    let response;
    try {
      response = await this.#fetch(this.url(path), {
        method,
        headers: {
          Authorization: `Bearer ${this.#apiKey}`, 'User-Agent': USER_AGENT,
          Accept: 'text/event-stream, application/json', 'Content-Type': 'application/json',
        },
        body: JSON.stringify(json),
        signal: controller.signal,
      });
    } catch (error) {
      throw new ServiceUnavailableError(`cannot reach the service: ${describe(error, this.timeoutMs)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (response.status >= 400) throw errorFor(response.status, await problemOf(response));
    return response;
  }

  /** GET a link the service handed out and return the body's bytes. */
  async download(url) {
    return this.#send('GET', url, {
      headers: { Accept: '*/*' },
      read: async (r) => Buffer.from(await r.arrayBuffer()),
    });
  }

  /**
   * A path goes under the base URL; an absolute URL is used as it is when it points at the service, and
   * otherwise only for its path and query, so the API key never goes to another host.
   */
  url(path, params) {
    let url;
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
      const given = new URL(path);
      url = given.origin === this.origin ? given : new URL(given.pathname + given.search, this.origin);
    } else {
      url = new URL(this.baseUrl + (path.startsWith('/') ? path : `/${path}`));
    }
    for (const [name, value] of params || []) url.searchParams.append(name, value);
    return url.toString();
  }

  backoffMs(attempt) {
    return Math.min(this.backoffBaseMs * 2 ** attempt, MAX_BACKOFF_MS) * (0.5 + Math.random());
  }

  async #send(method, path, { params, json, headers = {}, read }) {
    const url = this.url(path, params);
    const allHeaders = {
      Authorization: `Bearer ${this.#apiKey}`,
      'User-Agent': USER_AGENT,
      Accept: 'application/json',
      ...headers,
    };
    let body;
    if (json !== undefined) {
      allHeaders['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    }
    for (let attempt = 0; ; attempt += 1) {
      let response;
      try {
        // One timeout covers the whole exchange, body included.
        const signal = AbortSignal.timeout(this.timeoutMs);
        response = await this.#fetch(url, { method, headers: allHeaders, body, signal });
        if (response.status < 400) return await read(response);
      } catch (error) {
        if (attempt >= this.maxRetries) {
          throw new ServiceUnavailableError(`cannot reach the service: ${describe(error, this.timeoutMs)}`, {
            cause: error,
          });
        }
        await sleep(this.backoffMs(attempt));
        continue;
      }
      if (!RETRY_STATUSES.has(response.status) || attempt >= this.maxRetries) {
        throw errorFor(response.status, await problemOf(response));
      }
      await response.arrayBuffer().catch(() => undefined); // free the connection
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      const cap = Math.min(30_000, this.backoffBaseMs * 120);
      await sleep(retryAfterMs === null ? this.backoffMs(attempt) : Math.min(retryAfterMs, cap));
    }
  }
}

function describe(error, timeoutMs) {
  if (error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = error && error.cause;
  if (cause && cause.code) return `${error.name}: ${cause.code}`;
  return error && error.name ? error.name : String(error);
}

/** Retry-After in milliseconds: delay-seconds or an HTTP date; null when absent or unreadable. */
function parseRetryAfter(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, when - Date.now());
}

async function problemOf(response) {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // a body that cannot be read still gets a typed error from its status
  }
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object' && !Array.isArray(body)) return body;
    return { status: response.status, detail: String(body) };
  } catch {
    return { status: response.status, detail: response.statusText || `HTTP ${response.status}` };
  }
}

/** The events of a `text/event-stream` response, as {event, data} with `data` parsed from JSON. */
async function* serverSentEvents(response) {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data = [];
  for await (const bytes of response.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trim());
      else if (line === '' && data.length) {
        yield { event, data: JSON.parse(data.join('\n')) };
        event = 'message';
        data = [];
      }
    }
  }
}

module.exports = { Transport, RETRY_STATUSES, USER_AGENT, parseRetryAfter, serverSentEvents };
