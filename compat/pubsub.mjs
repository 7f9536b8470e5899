// Drives the Salesforce emulator's Pub/Sub API with salesforce-pubsub-api-client
// (the widely used Node client, on @grpc/grpc-js and avro-js), unchanged and
// configured as its README says: user-supplied authentication, a custom
// endpoint, and rejectUnauthorizedSsl: false for a self-signed certificate
// (the client only speaks TLS, with its own bundled CA roots). Usage:
//
//   node pubsub.mjs <pubsub-host:port>
//
// SF_INSTANCE_URL, SF_ACCESS_TOKEN and SF_ORG_ID authenticate (the REST side
// is served over TLS, trusted through NODE_EXTRA_CA_CERTS). SF_LEAD_ID names a
// Lead the Go side created, renamed and whose Email it cleared with
// Sforce-Call-Options client=compat-go before the run; SF_CONTACT_ID a
// Contact it created. SF_USERNAME and SF_PASSWORD reach the emulator's control
// surface (to inject a gap event). Prints one JSON line per step (see
// steps.mjs).
import assert from 'node:assert/strict';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import jsforce from 'jsforce';
import { step, need, finish } from './steps.mjs';

const endpoint = process.argv[2];
if (!endpoint) {
  console.error('usage: node pubsub.mjs <pubsub-host:port>');
  process.exit(2);
}
const env = process.env;
const leadId = env.SF_LEAD_ID;
const contactId = env.SF_CONTACT_ID;

// The client logs through console by default; a quiet logger keeps the
// output to step lines (errors still go to stderr).
const logger = {
  debug() {}, info() {}, warn() {},
  error(...args) { console.error(...args); },
};

function newClient(accessToken) {
  return new PubSubApiClient({
    authType: 'user-supplied',
    accessToken,
    instanceUrl: env.SF_INSTANCE_URL,
    organizationId: env.SF_ORG_ID,
    pubSubEndpoint: endpoint,
    rejectUnauthorizedSsl: false,
  }, logger);
}

// collect subscribes with start(client, callback) and resolves with the
// events once the client reports the last requested one, or rejects on a
// stream error. onKeepAlive runs on each keep-alive.
function collect(client, start, onKeepAlive) {
  return new Promise((resolve, reject) => {
    const events = [];
    const timer = setTimeout(() => reject(new Error(`timed out after ${events.length} events`)), 20000);
    start((info, type, data) => {
      switch (type) {
        case 'event':
          events.push(data);
          break;
        case 'lastEvent':
          clearTimeout(timer);
          resolve(events);
          break;
        case 'grpcKeepAlive':
          onKeepAlive?.();
          break;
        case 'error':
          clearTimeout(timer);
          reject(data instanceof Error ? data : new Error(JSON.stringify(data)));
          break;
      }
    });
  });
}

// failure subscribes and resolves with the stream error it must end with.
function failure(client, topic) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no error within 20 s')), 20000);
    client.subscribeFromEarliestEvent(topic, (info, type, data) => {
      if (type === 'error') {
        clearTimeout(timer);
        resolve(data);
      } else if (type === 'event') {
        clearTimeout(timer);
        reject(new Error('received an event, want an error'));
      }
    }, 1);
  });
}

const client = newClient(env.SF_ACCESS_TOKEN);
const state = {};

await step('connect', async () => {
  await client.connect();
});

await step('subscribe.earliest', async () => {
  need(leadId, 'SF_LEAD_ID');
  const events = await collect(client, (cb) => client.subscribeFromEarliestEvent('/data/LeadChangeEvent', cb, 2));
  assert.equal(events.length, 2);
  const [create, update] = events;
  const ch = create.payload.ChangeEventHeader;
  assert.equal(ch.entityName, 'Lead');
  assert.equal(ch.changeType, 'CREATE');
  assert.deepEqual(ch.recordIds, [leadId]);
  assert.equal(create.payload.Company, 'Compat Co');
  assert.equal(create.payload.Name.LastName, 'Lovelace');
  assert.equal(typeof create.replayId, 'number');
  const uh = update.payload.ChangeEventHeader;
  assert.equal(uh.changeType, 'UPDATE');
  assert.equal(uh.changeOrigin, 'com/salesforce/api/rest/62.0;client=compat-go');
  assert.deepEqual(uh.changedFields, ['Email', 'LastModifiedDate', 'Name.LastName']);
  assert.deepEqual(uh.nulledFields, ['Email']);
  assert.equal(update.payload.Name.LastName, 'Byron');
  assert.equal(update.payload.Company, null);
  assert.ok(update.replayId > create.replayId, 'replay ids increase');
  state.firstReplay = create.replayId;
  return { replayIds: events.map((e) => e.replayId) };
});

await step('subscribe.replay-id', async () => {
  const first = need(state.firstReplay, 'a replay id');
  const replayClient = newClient(env.SF_ACCESS_TOKEN);
  await replayClient.connect();
  try {
    const events = await collect(replayClient, (cb) => replayClient.subscribeFromReplayId('/data/LeadChangeEvent', cb, 1, first));
    assert.equal(events[0].payload.ChangeEventHeader.changeType, 'UPDATE');
    assert.ok(events[0].replayId > first);
  } finally {
    replayClient.close();
  }
});

await step('subscribe.all-change-events', async () => {
  need(contactId, 'SF_CONTACT_ID');
  const allClient = newClient(env.SF_ACCESS_TOKEN);
  await allClient.connect();
  try {
    const events = await collect(allClient, (cb) => allClient.subscribeFromEarliestEvent('/data/ChangeEvents', cb, 3));
    const entities = events.map((e) => e.payload.ChangeEventHeader.entityName);
    assert.deepEqual(entities, ['Lead', 'Lead', 'Contact']);
    assert.notEqual(events[0].schemaId, events[2].schemaId, 'each object has its own schema');
    assert.deepEqual(events[2].payload.ChangeEventHeader.recordIds, [contactId]);
    assert.equal(events[2].payload.Email, 'grace@example.com');
  } finally {
    allClient.close();
  }
});

await step('subscribe.live', async () => {
  // Subscribe from the tip, wait for the first keep-alive (the stream is
  // then set up), change a Contact through jsforce with a client id, and
  // receive its event.
  const liveClient = newClient(env.SF_ACCESS_TOKEN);
  await liveClient.connect();
  const conn = new jsforce.Connection({
    instanceUrl: env.SF_INSTANCE_URL, accessToken: env.SF_ACCESS_TOKEN, version: '62.0',
    callOptions: { client: 'compat-js' },
  });
  let changed = false;
  try {
    const events = await collect(liveClient, (cb) => liveClient.subscribe('/data/ContactChangeEvent', cb, 1), () => {
      if (!changed) {
        changed = true;
        conn.sobject('Contact').update({ Id: need(contactId, 'SF_CONTACT_ID'), Title: 'Countess' }).catch((err) => console.error(err));
      }
    });
    const h = events[0].payload.ChangeEventHeader;
    assert.equal(h.changeType, 'UPDATE');
    assert.equal(h.changeOrigin, 'com/salesforce/api/rest/62.0;client=compat-js');
    assert.deepEqual(h.changedFields, ['Title', 'LastModifiedDate']);
    assert.equal(events[0].payload.Title, 'Countess');
  } finally {
    liveClient.close();
  }
});

await step('subscribe.gap-event', async () => {
  // A GAP_OVERFLOW event (header only, no record ids), injected through the
  // emulator's control surface once the stream is set up.
  const gapClient = newClient(env.SF_ACCESS_TOKEN);
  await gapClient.connect();
  let injected = false;
  try {
    const events = await collect(gapClient, (cb) => gapClient.subscribe('/data/AccountChangeEvent', cb, 1), () => {
      if (!injected) {
        injected = true;
        fetch(`${env.SF_INSTANCE_URL}/__emulator/change-events/gap`, {
          method: 'POST',
          headers: {
            Authorization: `Basic ${Buffer.from(`${env.SF_USERNAME}:${env.SF_PASSWORD}`).toString('base64')}`,
            'Content-Type': 'application/json',
          },
          body: JSON.stringify({ object: 'Account', changeType: 'GAP_OVERFLOW' }),
        }).then((res) => { if (res.status !== 204) console.error(`gap injection: HTTP ${res.status}`); },
          (err) => console.error(err));
      }
    });
    const h = events[0].payload.ChangeEventHeader;
    assert.equal(h.changeType, 'GAP_OVERFLOW');
    assert.equal(h.entityName, 'Account');
    assert.deepEqual(h.recordIds, []);
    assert.deepEqual(h.changedFields, []);
    assert.equal(events[0].payload.Name, null);
  } finally {
    gapClient.close();
  }
});

await step('errors.invalid-token', async () => {
  const bad = newClient('00Dxx0000000001!not-a-token');
  await bad.connect();
  try {
    const err = await failure(bad, '/data/LeadChangeEvent');
    assert.equal(err.code, 16, `gRPC code ${err.code}: ${err.details}`);
    assert.equal(err.metadata.get('error-code')[0], 'sfdc.platform.eventbus.grpc.service.auth.error');
    assert.match(err.details, /rpcId: [0-9a-f-]{36}$/);
  } finally {
    bad.close();
  }
});

await step('errors.unknown-topic', async () => {
  const other = newClient(env.SF_ACCESS_TOKEN);
  await other.connect();
  try {
    const err = await failure(other, '/data/NoSuchChangeEvent');
    assert.equal(err.code, 5, `gRPC code ${err.code}: ${err.details}`);
    assert.match(err.details, /topic \/data\/NoSuchChangeEvent not found/);
    assert.deepEqual(err.metadata.get('error-code'), ['sfdc.platform.eventbus.grpc.topic.not.found']);
  } finally {
    other.close();
  }
});

client.close();
finish();
