// k6/http stand-in: post() is synchronous as in k6 (a child process does the request), asyncRequest() a Promise.
import { execFileSync } from 'node:child_process';
import { record } from './state.mjs';

function headersOf(params) {
  return (params && params.headers) || {};
}

export function post(url, body, params) {
  const started = Date.now();
  const script = `fetch(process.argv[1], { method: 'POST', body: process.argv[2], headers: JSON.parse(process.argv[3]) })
    .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))
    .catch(() => process.stdout.write(JSON.stringify({ status: 0, body: '' })));`;
  const answer = JSON.parse(execFileSync(process.execPath, ['-e', script, url, body ?? '', JSON.stringify(headersOf(params))], { encoding: 'utf8' }));
  record('http_reqs', 'counter', 1);
  record('http_req_duration', 'trend', Date.now() - started);
  return answer;
}

export function asyncRequest(method, url, body, params) {
  const started = Date.now();
  return fetch(url, { method, body, headers: headersOf(params) }).then(
    async (response) => {
      record('http_reqs', 'counter', 1);
      record('http_req_duration', 'trend', Date.now() - started);
      return { status: response.status, body: await response.text() };
    },
    () => ({ status: 0, body: '' }),
  );
}

export default { post, asyncRequest };
