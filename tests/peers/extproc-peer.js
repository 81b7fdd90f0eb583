#!/usr/bin/env node
// Independent ext_proc client for InferenceMesh's tests: @grpc/grpc-js + @grpc/proto-loader drive the server with
// the message sequences Envoy's ext_proc filter sends. Prints one JSON result line on stdout; exits 1 on failure.
// Usage: node extproc-peer.js <host:port> <scenario>
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, scenario] = process.argv.slice(2);
if (!address || !scenario) {
  console.error('usage: node extproc-peer.js <host:port> <scenario>');
  process.exit(2);
}

// The Envoy protos are the server's own transcription; grpc.health.v1 is the standard one (the server takes it from Grpc.HealthCheck).
const protoRoot = path.resolve(__dirname, '../../libs/Grpc/Protos');
const peerProtos = path.resolve(__dirname, 'protos');
const definition = protoLoader.loadSync(
  ['envoy/service/ext_proc/v3/external_processor.proto', 'grpc/health/v1/health.proto'],
  { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protoRoot, peerProtos] });
const pkg = grpc.loadPackageDefinition(definition);
const ExternalProcessor = pkg.envoy.service.ext_proc.v3.ExternalProcessor;
const Health = pkg.grpc.health.v1.Health;

const DEST = 'x-gateway-destination-endpoint';

function header(key, value) {
  return { key, raw_value: Buffer.from(value, 'utf8') };
}

function requestHeaders({ endOfStream = false, mode = 'FULL_DUPLEX_STREAMED', method = 'POST', path: p = '/v1/completions', requestId = 'peer-1', extra = [], metadata = {} } = {}) {
  return {
    request_headers: {
      headers: {
        headers: [
          header(':method', method), header(':path', p), header(':authority', 'gateway.local'),
          header(':scheme', 'http'), header('content-type', 'application/json'), header('x-request-id', requestId),
          ...extra.map(([k, v]) => header(k, v)),
        ],
      },
      end_of_stream: endOfStream,
    },
    protocol_config: { request_body_mode: mode, response_body_mode: mode },
    metadata_context: { filter_metadata: metadata },
  };
}

// The Endpoint Picker protocol's subset hint: envoy.lb.subset_hint / x-gateway-destination-endpoint-subset as a list.
function subsetHint(endpoints) {
  return { 'envoy.lb.subset_hint': { fields: { 'x-gateway-destination-endpoint-subset': { listValue: { values: endpoints.map((e) => ({ stringValue: e })) } } } } };
}

// TLS with the server's certificate as the only root (PEER_CA_FILE), host name not checked (a self-signed picker
// certificate names no Service); h2c otherwise.
function credentials() {
  const ca = process.env.PEER_CA_FILE;
  return ca
    ? grpc.credentials.createSsl(fs.readFileSync(ca), null, null, { checkServerIdentity: () => undefined })
    : grpc.credentials.createInsecure();
}

function completionBody(model, promptChars) {
  let prompt = '';
  for (let i = 0; prompt.length < promptChars; i++) prompt += `word${i % 97} `;
  return Buffer.from(JSON.stringify({ model, prompt: prompt.slice(0, promptChars), max_tokens: 16 }), 'utf8');
}

function chunks(buffer, size) {
  const out = [];
  for (let i = 0; i < buffer.length; i += size) out.push(buffer.subarray(i, Math.min(buffer.length, i + size)));
  return out;
}

function headerValue(mutation, key) {
  for (const h of (mutation && mutation.set_headers) || []) {
    if (h.header.key === key) return h.header.raw_value.length ? h.header.raw_value.toString('utf8') : h.header.value;
  }
  return '';
}

// A duplex call whose responses can be awaited one at a time.
function open(client, options = {}) {
  const call = options.deadlineMs
    ? client.Process({ deadline: new Date(Date.now() + options.deadlineMs) })
    : client.Process();
  const queue = [];
  const waiters = [];
  let ended = null;
  const settle = () => {
    while (waiters.length && (queue.length || ended)) {
      const w = waiters.shift();
      if (queue.length) w.resolve(queue.shift());
      else if (ended.error) w.reject(ended.error);
      else w.resolve(null);
    }
  };
  call.on('data', (m) => { queue.push(m); settle(); });
  call.on('error', (e) => { ended = { error: e }; settle(); });
  call.on('status', (s) => { if (!ended) ended = { status: s }; if (s.code !== 0 && !ended.error) ended = { error: s }; settle(); });
  call.on('end', () => { if (!ended) ended = { status: { code: 0 } }; settle(); });
  return {
    call,
    write: (m) => call.write(m),
    next: () => new Promise((resolve, reject) => { waiters.push({ resolve, reject }); settle(); }),
    finish: async () => { call.end(); const m = await new Promise((resolve, reject) => { waiters.push({ resolve, reject }); settle(); }); if (m !== null) throw new Error('unexpected message after end: ' + JSON.stringify(m)); },
  };
}

async function readStreamedBody(s, field) {
  const parts = [];
  let count = 0;
  let largest = 0;
  for (;;) {
    const r = await s.next();
    if (!r || r.response !== field) throw new Error(`expected ${field}, got ${r && r.response}`);
    const streamed = r[field].response.body_mutation.streamed_response;
    if (!streamed) throw new Error('body response without streamed_response');
    parts.push(streamed.body);
    count++;
    largest = Math.max(largest, streamed.body.length);
    if (streamed.end_of_stream) return { body: Buffer.concat(parts), chunks: count, largest };
  }
}

async function fullDuplex(client, promptChars, requestId = 'peer-1') {
  const s = open(client);
  const body = completionBody('qwen', promptChars);
  s.write(requestHeaders({ requestId }));
  const parts = chunks(body, 16 * 1024);
  parts.forEach((c, i) => s.write({ request_body: { body: c, end_of_stream: i === parts.length - 1 } }));
  const h = await s.next();
  if (h.response !== 'request_headers') throw new Error('first answer is ' + h.response);
  const common = h.request_headers.response;
  const destination = headerValue(common.header_mutation, DEST);
  const lb = h.dynamic_metadata.fields['envoy.lb'].structValue.fields[DEST].stringValue;
  const echoed = await readStreamedBody(s, 'request_body');

  s.write({ response_headers: { headers: { headers: [header(':status', '200'), header('content-type', 'text/event-stream')] }, end_of_stream: false } });
  const rh = await s.next();
  const sse = 'data: {"model":"qwen","choices":[]}\n\ndata: {"model":"qwen","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":2}}\n\ndata: [DONE]\n\n';
  const ssep = chunks(Buffer.from(sse), 37);
  ssep.forEach((c, i) => s.write({ response_body: { body: c, end_of_stream: i === ssep.length - 1 } }));
  const back = await readStreamedBody(s, 'response_body');
  await s.finish();
  return {
    destination, lb, clearRouteCache: common.clear_route_cache,
    bodyEqual: echoed.body.equals(body), bodyChunks: echoed.chunks, largestChunk: echoed.largest,
    responseHeadersAnswer: rh.response, responseEqual: back.body.toString() === sse,
  };
}

const scenarios = {
  async 'full-duplex'(client) {
    return fullDuplex(client, 220 * 1024);
  },

  async concurrent(client) {
    const n = 100;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => fullDuplex(client, 2048, 'peer-' + i)));
    return { streams: n, allOk: results.every((r) => r.bodyEqual && r.responseEqual && r.destination === r.lb) };
  },

  async buffered(client) {
    const s = open(client);
    const body = completionBody('qwen', 1000);
    s.write(requestHeaders({ mode: 'BUFFERED' }));
    const h = await s.next();
    s.write({ request_body: { body, end_of_stream: true } });
    const b = await s.next();
    s.write({ response_headers: { headers: { headers: [header(':status', '200'), header('content-type', 'application/json')] } } });
    const rh = await s.next();
    s.write({ response_body: { body: Buffer.from('{"usage":{"prompt_tokens":3,"completion_tokens":1}}'), end_of_stream: true } });
    const rb = await s.next();
    await s.finish();
    return {
      answers: [h.response, b.response, rh.response, rb.response],
      destination: headerValue(b.request_body.response.header_mutation, DEST),
      lb: b.dynamic_metadata.fields['envoy.lb'].structValue.fields[DEST].stringValue,
    };
  },

  async streamed(client) {
    const s = open(client);
    const body = completionBody('qwen', 300);
    s.write(requestHeaders({ mode: 'STREAMED' }));
    const answers = [(await s.next()).response];
    const parts = chunks(body, 100);
    let last;
    for (let i = 0; i < parts.length; i++) {
      s.write({ request_body: { body: parts[i], end_of_stream: i === parts.length - 1 } });
      last = await s.next();
      answers.push(last.response);
    }
    await s.finish();
    return {
      answers, chunks: parts.length,
      destination: headerValue(last.request_body.response.header_mutation, DEST),
      bodyEqual: Buffer.from(last.request_body.response.body_mutation.body).equals(body),
    };
  },

  async 'no-body'(client) {
    const s = open(client);
    s.write(requestHeaders({ endOfStream: true, method: 'GET', path: '/v1/models' }));
    const h = await s.next();
    await s.finish();
    return { answer: h.response, destination: headerValue(h.request_headers.response.header_mutation, DEST) };
  },

  async 'missing-model'(client) {
    const s = open(client);
    s.write(requestHeaders());
    s.write({ request_body: { body: Buffer.from('{"prompt":"hi"}'), end_of_stream: true } });
    const r = await s.next();
    await s.finish();
    return { answer: r.response, status: r.immediate_response.status.code, body: Buffer.from(r.immediate_response.body).toString() };
  },

  async cancel(client) {
    const s = open(client);
    s.write(requestHeaders());
    s.write({ request_body: { body: completionBody('qwen', 500), end_of_stream: true } });
    // The test tells us when the request is queued; then we reset the stream like Envoy does when the client leaves.
    await new Promise((resolve) => process.stdin.once('data', resolve));
    s.call.cancel();
    try { await s.next(); } catch (e) { return { cancelledCode: e.code }; }
    return { cancelledCode: 0 };
  },

  async deadline(client) {
    const s = open(client, { deadlineMs: 2000 });
    s.write(requestHeaders({ endOfStream: true, method: 'GET' }));
    try { await s.next(); return { code: 0 }; } catch (e) { return { code: e.code }; }
  },

  async health() {
    const health = new Health(address, grpc.credentials.createInsecure());
    const check = (service) => new Promise((resolve) => health.Check({ service }, (err, res) => resolve(err ? { code: err.code } : { status: res.status })));
    const result = {};
    for (const service of ['', 'liveness', 'readiness', 'inference-extension', 'envoy.service.ext_proc.v3.ExternalProcessor', 'no-such-service']) {
      result[service || '(empty)'] = await check(service);
    }
    health.close();
    return result;
  },

  // ---- Endpoint Picker protocol conformance (docs/conformance.md) ----

  // Subset hint present but empty: the picker MUST answer 503 itself.
  async 'conformance-subset-empty'(client) {
    const s = open(client);
    s.write(requestHeaders({ metadata: subsetHint([]) }));
    s.write({ request_body: { body: completionBody('qwen', 100), end_of_stream: true } });
    const r = await s.next();
    await s.finish();
    return { answer: r.response, status: r.immediate_response && r.immediate_response.status.code };
  },

  // A subset hint of bare IPs and ip:port entries reaches the scheduler as sent; the destination is one of them.
  async 'conformance-subset'(client) {
    const s = open(client);
    s.write(requestHeaders({ metadata: subsetHint(['10.0.0.7', '10.0.0.8:8000']) }));
    s.write({ request_body: { body: completionBody('qwen', 100), end_of_stream: true } });
    const h = await s.next();
    s.call.cancel();
    return { answer: h.response, destination: h.request_headers ? headerValue(h.request_headers.response.header_mutation, DEST) : '' };
  },

  // The served endpoint reported in the response's metadata_context, and the conformance suite's two test hooks.
  async 'conformance-served'(client) {
    const s = open(client);
    s.write(requestHeaders({ extra: [['test-epp-endpoint-selection', '10.0.0.9']] }));
    s.write({ request_body: { body: completionBody('qwen', 100), end_of_stream: true } });
    const h = await s.next();
    await readStreamedBody(s, 'request_body');
    s.write({
      response_headers: { headers: { headers: [header(':status', '200'), header('content-type', 'application/json')] }, end_of_stream: false },
      metadata_context: { filter_metadata: { 'envoy.lb': { fields: { 'x-gateway-destination-endpoint-served': { stringValue: '10.0.0.9:8000' } } } } },
    });
    const rh = await s.next();
    s.write({ response_body: { body: Buffer.from('{"usage":{"prompt_tokens":3,"completion_tokens":1}}'), end_of_stream: true } });
    await readStreamedBody(s, 'response_body');
    await s.finish();
    const mutation = rh.response_headers.response && rh.response_headers.response.header_mutation;
    return { destination: headerValue(h.request_headers.response.header_mutation, DEST), servedHeader: headerValue(mutation, 'x-conformance-test-served-endpoint') };
  },

  // One request whose decision never comes in time: an immediate response, a destination (fail-open), or a failed stream.
  async 'conformance-decision-timeout'(client) {
    const s = open(client);
    const subset = process.env.PEER_SUBSET ? subsetHint(process.env.PEER_SUBSET.split(',')) : {};
    s.write(requestHeaders({ metadata: subset }));
    s.write({ request_body: { body: completionBody('qwen', 100), end_of_stream: true } });
    try {
      const r = await s.next();
      s.call.cancel();
      if (r.response === 'immediate_response') return { answer: r.response, status: r.immediate_response.status.code };
      return { answer: r.response, destination: headerValue(r.request_headers.response.header_mutation, DEST) };
    } catch (e) {
      return { answer: 'error', code: e.code };
    }
  },

  async unimplemented() {
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    const code = await new Promise((resolve) => client.makeUnaryRequest('/no.Such/Method', (x) => x, (x) => x, Buffer.alloc(0), (err) => resolve(err ? err.code : 0)));
    client.close();
    return { code };
  },
};

(async () => {
  const run = scenarios[scenario];
  if (!run) throw new Error('unknown scenario ' + scenario);
  const client = new ExternalProcessor(address, credentials());
  try {
    const result = await run(client);
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    client.close();
  }
  process.exit(0);
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
