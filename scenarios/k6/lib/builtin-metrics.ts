/**
 * Names of k6's own metrics that wsmig relies on (k6 records them by itself). No k6 imports:
 * compiled for k6 and for Node alike.
 */

/** k6's timing trends of every HTTP request, in ms. */
export const K6_HTTP_TIMINGS: readonly string[] = [
  'http_req_duration',
  'http_req_blocked',
  'http_req_connecting',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_waiting',
  'http_req_receiving',
];
