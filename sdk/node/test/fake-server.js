'use strict';
// A local HTTP server standing in for the service: records each request, answers with `handler`'s reply.

const http = require('node:http');

const HANG = Symbol('hang'); // a reply that never comes (for timeouts)
const DROP = Symbol('drop'); // the connection is cut without an answer (a network error)

/**
 * @param {(request: {method: string, path: string, url: URL, headers: object, body: any}, n: number)
 *   => ({status?: number, json?: any, text?: string, headers?: object} | typeof HANG | typeof DROP)} handler
 */
async function fakeServer(handler) {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url, 'http://fake.invalid');
    const parsed = raw ? JSON.parse(raw) : undefined;
    const request = { method: req.method, path: url.pathname, url, headers: req.headers, body: parsed };
    requests.push(request);
    const reply = await handler(request, requests.length);
    if (reply === HANG) return;
    if (reply === DROP) {
      req.socket.destroy();
      return;
    }
    const { status = 200, json, text, headers = {} } = reply || {};
    const body = text !== undefined ? text : json === undefined ? '' : JSON.stringify(json);
    const type = status >= 400 ? 'application/problem+json' : 'application/json';
    res.writeHead(status, { 'Content-Type': type, ...headers });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A client on `server` with fast backoff. */
function clientFor(server, options = {}) {
  const { PaiTIENTClient } = require('paitient-secure-model');
  return new PaiTIENTClient({ baseUrl: server.url, apiKey: 'psk_test_key', backoffBaseMs: 1, ...options });
}

module.exports = { fakeServer, clientFor, HANG, DROP };
