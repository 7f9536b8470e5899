// Drives a Salesforce REST endpoint (ferry's emulator) with jsforce, the most
// widely used Salesforce client library for JavaScript, through its public
// API only. Usage:
//
//   node salesforce.mjs <base-url>
//
// The base URL is the login and instance host (the emulator serves both).
// Credentials come from SF_CLIENT_ID, SF_CLIENT_SECRET, SF_USERNAME,
// SF_PASSWORD; SF_REDIRECT_URI is the connected app's callback (the emulator
// must auto-approve); SF_RUN makes record names unique per run; SF_PAGE_RECORDS
// is how many Leads to create for paging (default 2050: more than one
// 2,000-record batch); SF_LIMITED_URL is a second org with the same
// credentials whose daily API limit a few calls exhaust. Prints one JSON line
// per step (see steps.mjs).
import assert from 'node:assert/strict';
import jsforce from 'jsforce';
import { step, need, rejects, finish } from './steps.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node salesforce.mjs <base-url>');
  process.exit(2);
}
const env = process.env;
const clientId = env.SF_CLIENT_ID ?? 'ferry-compat';
const clientSecret = env.SF_CLIENT_SECRET ?? 'ferry-compat-secret';
const username = env.SF_USERNAME ?? 'compat@example.com';
const password = env.SF_PASSWORD ?? 'compat-password';
const redirectUri = env.SF_REDIRECT_URI ?? 'http://localhost:1717/oauth/callback';
const run = env.SF_RUN ?? String(Date.now());
const pageRecords = Number(env.SF_PAGE_RECORDS ?? 2050);
const limitedURL = env.SF_LIMITED_URL;

// Connections are created without a version: jsforce's default (50.0) is what
// an unchanged client sends.
const conn = new jsforce.Connection({
  loginUrl: base,
  oauth2: { loginUrl: base, clientId, clientSecret },
});
const state = {};

await step('login.password', async () => {
  const info = await conn.login(username, password);
  assert.ok(conn.accessToken, 'no access token');
  assert.ok(conn.instanceUrl, 'no instance_url');
  assert.match(info.id, /^005/, 'user id from the id URL');
  assert.match(info.organizationId, /^00D/, 'org id from the id URL');
  return { version: conn.version };
});

await step('login.password-rejected', async () => {
  const bad = new jsforce.Connection({
    loginUrl: base,
    oauth2: { loginUrl: base, clientId, clientSecret },
  });
  const err = await rejects(bad.login(username, `${password}-wrong`), 'wrong password');
  // OAuth2#_postParams turns the JSON error body into err.name.
  assert.equal(err.name, 'invalid_grant', `error name (message: ${err.message})`);
});

await step('identity', async () => {
  const id = await conn.identity();
  assert.equal(id.username, username);
  assert.match(id.user_id, /^005/);
  assert.match(id.organization_id, /^00D/);
});

const oauth2 = new jsforce.OAuth2({ loginUrl: base, clientId, clientSecret, redirectUri });
const web = new jsforce.Connection({ oauth2 });

await step('login.web-server', async () => {
  const url = oauth2.getAuthorizationUrl({ scope: 'api refresh_token', state: `st-${run}` });
  // The emulator auto-approves: the authorize endpoint redirects straight to
  // the callback with the code, as Salesforce does after the user consents.
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, `authorize status for ${new URL(url).pathname}`);
  const location = new URL(res.headers.get('location'));
  assert.equal(`${location.origin}${location.pathname}`, redirectUri, 'redirect target');
  assert.equal(location.searchParams.get('state'), `st-${run}`, 'state echoed');
  const code = location.searchParams.get('code');
  assert.ok(code, 'code in redirect');
  const info = await web.authorize(code);
  assert.ok(web.accessToken, 'no access token');
  assert.ok(web.refreshToken, 'no refresh token for scope "api refresh_token"');
  assert.match(info.id, /^005/);
  const res2 = await web.query('SELECT Id FROM User LIMIT 1');
  assert.ok(res2.totalSize >= 1, 'query as web-server user');
});

await step('login.web-server-pkce', async () => {
  // useVerifier: jsforce sends code_challenge (S256) to authorize and
  // code_verifier with the code exchange.
  const pkce = new jsforce.OAuth2({ loginUrl: base, clientId, clientSecret, redirectUri, useVerifier: true });
  const url = pkce.getAuthorizationUrl({ scope: 'api', state: `pkce-${run}` });
  assert.match(url, /code_challenge=/);
  const res = await fetch(url, { redirect: 'manual' });
  assert.equal(res.status, 302, 'authorize status');
  const code = new URL(res.headers.get('location')).searchParams.get('code');
  assert.ok(code, 'code in redirect');
  const c = new jsforce.Connection({ oauth2: pkce });
  await c.authorize(code);
  const q = await c.query('SELECT Id FROM User LIMIT 1');
  assert.ok(q.totalSize >= 1);
});

await step('oauth.refresh-on-invalid-session', async () => {
  need(web.refreshToken, 'refresh token');
  const old = web.accessToken;
  let refreshed = false;
  web.on('refresh', () => { refreshed = true; });
  // A token Salesforce no longer knows gives 401 INVALID_SESSION_ID; jsforce
  // must recognise it and refresh with the refresh token by itself.
  web.accessToken = `${old}x`;
  const res = await web.query('SELECT Id FROM User LIMIT 1');
  assert.ok(res.totalSize >= 1);
  assert.ok(refreshed, 'jsforce did not refresh the session');
  assert.notEqual(web.accessToken, `${old}x`);
});

await step('oauth.revoke', async () => {
  const rt = need(web.refreshToken, 'refresh token');
  await web.logout(true);
  const err = await rejects(oauth2.refreshToken(rt), 'refresh with revoked token');
  assert.equal(err.name, 'invalid_grant', `error name (message: ${err.message})`);
});

await step('describe.global', async () => {
  const g = await conn.describeGlobal();
  const names = g.sobjects.map((s) => s.name);
  for (const want of ['Lead', 'Contact', 'Account']) {
    assert.ok(names.includes(want), `${want} in describeGlobal`);
  }
});

await step('describe.sobject', async () => {
  const d = await conn.sobject('Lead').describe();
  assert.equal(d.name, 'Lead');
  assert.equal(d.keyPrefix, '00Q');
  const byName = Object.fromEntries(d.fields.map((f) => [f.name, f]));
  assert.equal(byName.Id?.type, 'id');
  assert.equal(byName.Email?.type, 'email');
  assert.equal(byName.IsConverted?.type, 'boolean');
  const status = byName.Status;
  assert.equal(status?.type, 'picklist');
  assert.ok(status.picklistValues.length > 0 && status.picklistValues.every((p) => typeof p.value === 'string' && typeof p.active === 'boolean'),
    'Status picklist values');
  const required = d.fields
    .filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate)
    .map((f) => f.name);
  assert.ok(required.includes('LastName') && required.includes('Company'),
    `required Lead fields: ${required}`);
  // Upsert needs an external-id field; ferry's objects define their own.
  for (const type of ['Lead', 'Contact', 'Account']) {
    const desc = type === 'Lead' ? d : await conn.sobject(type).describe();
    const f = desc.fields.find((x) => x.externalId && x.type === 'string');
    if (f) {
      state.upsertType = type;
      state.upsertField = f.name;
      break;
    }
  }
  return { upsert: state.upsertField ? `${state.upsertType}.${state.upsertField}` : null };
});

const Lead = conn.sobject('Lead');

await step('crud.create', async () => {
  const r = await Lead.create({ LastName: `Compat ${run}`, Company: `Compat ${run}`, Email: `crud-${run}@example.com` });
  assert.equal(r.success, true);
  assert.match(r.id, /^00Q[0-9A-Za-z]{15}$/);
  state.leadId = r.id;
});

await step('crud.retrieve', async () => {
  const rec = await Lead.retrieve(need(state.leadId, 'lead id'));
  assert.equal(rec.Id, state.leadId);
  assert.equal(rec.attributes.type, 'Lead');
  assert.equal(rec.Email, `crud-${run}@example.com`);
  assert.match(rec.SystemModstamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
});

await step('crud.update', async () => {
  const r = await Lead.update({ Id: need(state.leadId, 'lead id'), FirstName: 'Ada' });
  assert.equal(r.success, true);
  const rec = await Lead.retrieve(state.leadId);
  assert.equal(rec.FirstName, 'Ada');
});

await step('crud.upsert', async () => {
  const type = need(state.upsertType, 'an externalId string field in describe of Lead, Contact or Account');
  const field = state.upsertField;
  const key = `compat-${run}-1`;
  const rec = {
    Lead: { LastName: 'Upsert', Company: `Compat ${run}` },
    Contact: { LastName: 'Upsert' },
    Account: { Name: `Upsert ${run}` },
  }[type];
  const created = await conn.sobject(type).upsert({ ...rec, [field]: key }, field);
  assert.equal(created.success, true, 'upsert create');
  assert.equal(created.created, true, 'upsert create: created flag');
  assert.ok(created.id, 'upsert create: id');
  const updated = await conn.sobject(type).upsert({ ...rec, [field]: key }, field);
  assert.equal(updated.success, true, 'upsert update');
  // API >= 46.0 answers an update-by-upsert with 200 and created:false.
  assert.equal(updated.created, false, 'upsert update: created flag');
  assert.equal(updated.id, created.id, 'upsert update: same record');
  return { field: `${type}.${field}` };
});

await step('crud.task-and-case', async () => {
  const leadId = need(state.leadId, 'lead id');
  // The activity ferry writes for a conversation: a Task on the Lead.
  const task = await conn.sobject('Task').create({
    WhoId: leadId, Subject: `Intercom conversation ${run}`, ActivityDate: '2026-05-01', Status: 'Completed',
  });
  assert.equal(task.success, true);
  assert.match(task.id, /^00T/);
  const t = await conn.sobject('Task').retrieve(task.id);
  assert.equal(t.WhoId, leadId);
  assert.equal(t.ActivityDate, '2026-05-01', 'date fields are yyyy-MM-dd');
  const kase = await conn.sobject('Case').create({ Subject: `Case ${run}`, Origin: 'Web' });
  assert.equal(kase.success, true);
  const c = await conn.sobject('Case').retrieve(kase.id);
  assert.ok(c.CaseNumber, 'CaseNumber assigned');
  await conn.sobject('Task').destroy(task.id);
});

await step('query.all-fields', async () => {
  const leadId = need(state.leadId, 'lead id');
  // '*' makes jsforce describe the object and select every field it lists.
  const recs = await Lead.find({ Id: leadId }, '*');
  assert.equal(recs.length, 1);
  assert.equal(recs[0].Email, `crud-${run}@example.com`);
  assert.ok('SystemModstamp' in recs[0] && 'IsConverted' in recs[0]);
});

await step('query.relationship', async () => {
  const leadId = need(state.leadId, 'lead id');
  // Parent fields come back as nested objects with their own attributes.
  const res = await conn.query(`SELECT Id, Owner.Email, Owner.Name FROM Lead WHERE Id = '${leadId}'`);
  assert.equal(res.totalSize, 1);
  const owner = res.records[0].Owner;
  assert.equal(owner?.attributes?.type, 'User', JSON.stringify(res.records[0]));
  assert.equal(owner.Email, username);
});

await step('crud.delete', async () => {
  const r = await Lead.destroy(need(state.leadId, 'lead id'));
  assert.equal(r.success, true);
  const err = await rejects(Lead.retrieve(state.leadId), 'retrieve deleted lead');
  assert.ok(['ENTITY_IS_DELETED', 'NOT_FOUND'].includes(err.errorCode), `errorCode ${err.errorCode}`);
  state.deletedId = state.leadId;
});

await step('errors.invalid-session', async () => {
  // No refresh token and no credentials: jsforce must surface the 401 body.
  const stale = new jsforce.Connection({ instanceUrl: conn.instanceUrl, accessToken: '00Dxx0000000000!stale' });
  const err = await rejects(stale.query('SELECT Id FROM User LIMIT 1'), 'query with an unknown token');
  assert.equal(err.errorCode, 'INVALID_SESSION_ID', `errorCode (message: ${err.message})`);
});

await step('errors.request-limit', async () => {
  const url = need(limitedURL, 'SF_LIMITED_URL');
  const c = new jsforce.Connection({ loginUrl: url, oauth2: { loginUrl: url, clientId, clientSecret } });
  await c.login(username, password);
  for (let i = 0; i < 100; i++) {
    try {
      await c.query('SELECT Id FROM User LIMIT 1');
    } catch (err) {
      assert.equal(err.errorCode, 'REQUEST_LIMIT_EXCEEDED', `errorCode after ${i} calls (message: ${err.message})`);
      return { calls: i + 1 };
    }
  }
  throw new Error('100 calls without REQUEST_LIMIT_EXCEEDED');
});

await step('errors.required-field', async () => {
  const err = await rejects(Lead.create({ FirstName: 'NoLastName' }), 'create without required fields');
  assert.equal(err.errorCode, 'REQUIRED_FIELD_MISSING');
  assert.match(err.message, /Required fields are missing/);
});

await step('errors.malformed-query', async () => {
  const err = await rejects(conn.query('SELECT FROM Lead WHERE'), 'malformed SOQL');
  assert.equal(err.errorCode, 'MALFORMED_QUERY');
});

await step('errors.unknown-field', async () => {
  const err = await rejects(conn.query('SELECT Naem FROM Account'), 'unknown column');
  assert.equal(err.errorCode, 'INVALID_FIELD');
});

await step('collections.create', async () => {
  const rs = await Lead.create([1, 2, 3].map((i) => ({
    LastName: `Coll ${i}`, Company: `Coll ${run}`, Email: `coll-${i}-${run}@example.com`,
  })));
  assert.equal(rs.length, 3);
  for (const r of rs) {
    assert.equal(r.success, true, JSON.stringify(r));
    assert.match(r.id, /^00Q/);
  }
  state.collIds = rs.map((r) => r.id);
});

await step('collections.partial-failure', async () => {
  const rs = await Lead.create([
    { LastName: 'Good', Company: `Coll ${run}` },
    { FirstName: 'Bad' },
  ], { allOrNone: false });
  assert.equal(rs[0].success, true);
  assert.equal(rs[1].success, false);
  // Collection results carry statusCode, not errorCode.
  assert.equal(rs[1].errors[0].statusCode, 'REQUIRED_FIELD_MISSING', JSON.stringify(rs[1]));
  await Lead.destroy(rs[0].id);
});

await step('collections.update', async () => {
  const ids = need(state.collIds, 'collection ids');
  const rs = await Lead.update(ids.map((Id) => ({ Id, Title: 'Updated' })));
  assert.equal(rs.length, ids.length);
  assert.ok(rs.every((r) => r.success), JSON.stringify(rs));
});

await step('collections.retrieve', async () => {
  const ids = need(state.collIds, 'collection ids');
  // Without explicit fields jsforce asks describe for every field name and
  // sends them all, as most callers do.
  const recs = await Lead.retrieve(ids);
  assert.deepEqual(recs.map((r) => r.Id), ids);
  assert.ok(recs.every((r) => r.Title === 'Updated'));
});

await step('collections.upsert', async () => {
  const type = need(state.upsertType, 'an externalId string field');
  const field = state.upsertField;
  const mk = (i) => ({
    Lead: { LastName: `UpsertColl ${i}`, Company: `UpsertColl ${run}` },
    Contact: { LastName: `UpsertColl ${i}` },
    Account: { Name: `UpsertColl ${i} ${run}` },
  }[type]);
  const recs = [1, 2].map((i) => ({ ...mk(i), [field]: `compat-${run}-coll-${i}` }));
  const first = await conn.sobject(type).upsert(recs, field);
  assert.deepEqual(first.map((r) => [r.success, r.created]), [[true, true], [true, true]], JSON.stringify(first));
  const second = await conn.sobject(type).upsert(recs, field);
  assert.deepEqual(second.map((r) => [r.success, r.created]), [[true, false], [true, false]], JSON.stringify(second));
});

await step('collections.delete', async () => {
  const ids = need(state.collIds, 'collection ids');
  const rs = await Lead.destroy(ids);
  assert.ok(rs.every((r) => r.success), JSON.stringify(rs));
  const left = await conn.query(`SELECT Id FROM Lead WHERE Company = 'Coll ${run}'`);
  assert.equal(left.totalSize, 0, 'records left after collection delete');
});

const pageCompany = `Page ${run}`;
const pageSOQL = `SELECT Id, LastName FROM Lead WHERE Company = '${pageCompany}'`;

await step('page.seed', async () => {
  const recs = Array.from({ length: pageRecords }, (_, i) => ({ LastName: `P${i}`, Company: pageCompany }));
  // allowRecursive splits into 200-record sObject Collections calls.
  const rs = await Lead.create(recs, { allowRecursive: true });
  assert.equal(rs.length, pageRecords);
  assert.ok(rs.every((r) => r.success));
  state.seeded = true;
  return { records: pageRecords };
});

await step('query.queryMore', async () => {
  need(state.seeded, 'seeded page records');
  const first = await conn.query(pageSOQL);
  assert.equal(first.totalSize, pageRecords);
  assert.equal(first.done, false, 'first batch done');
  assert.ok(first.records.length > 0 && first.records.length <= 2000, `batch of ${first.records.length}`);
  assert.ok(first.nextRecordsUrl, 'nextRecordsUrl');
  const ids = new Set(first.records.map((r) => r.Id));
  let next = first.nextRecordsUrl;
  let batches = 1;
  while (next) {
    const more = await conn.queryMore(next);
    more.records.forEach((r) => ids.add(r.Id));
    next = more.done ? undefined : more.nextRecordsUrl;
    assert.ok(++batches < 50, 'too many batches');
  }
  assert.equal(ids.size, pageRecords, 'distinct records over all batches');
  return { batches };
});

await step('query.autoFetch', async () => {
  need(state.seeded, 'seeded page records');
  const res = await conn.query(pageSOQL, { autoFetch: true, maxFetch: 100000 });
  assert.equal(res.records.length, pageRecords);
  assert.equal(new Set(res.records.map((r) => r.Id)).size, pageRecords);
  assert.equal(res.done, true);
});

await step('query.count', async () => {
  need(state.seeded, 'seeded page records');
  const res = await conn.query(`SELECT COUNT() FROM Lead WHERE Company = '${pageCompany}'`);
  assert.equal(res.totalSize, pageRecords);
});

await step('query.builder', async () => {
  need(state.seeded, 'seeded page records');
  // jsforce's SOQL builder: WHERE with IN and AND, ORDER BY, LIMIT.
  const recs = await Lead.find({ Company: pageCompany, LastName: { $in: ['P1', 'P2', 'P3'] } }, ['Id', 'LastName'])
    .sort({ LastName: -1 })
    .limit(2);
  assert.deepEqual(recs.map((r) => r.LastName), ['P3', 'P2']);
  const n = await Lead.count({ Company: pageCompany, LastName: { $like: 'P1%' } });
  assert.equal(n, [...Array(pageRecords).keys()].filter((i) => String(i).startsWith('1')).length);
});

await step('query.datetime-literal', async () => {
  need(state.seeded, 'seeded page records');
  // The polling pattern: SystemModstamp > an unquoted dateTime literal,
  // ordered for stable paging.
  const since = jsforce.SfDate.toDateTimeLiteral(new Date(Date.now() - 60 * 60 * 1000));
  const res = await conn.query(
    `SELECT Id, SystemModstamp FROM Lead WHERE Company = '${pageCompany}' AND SystemModstamp > ${since} ORDER BY SystemModstamp, Id LIMIT 10`);
  assert.equal(res.records.length, 10);
  const stamps = res.records.map((r) => r.SystemModstamp);
  assert.deepEqual([...stamps].sort(), stamps, 'ORDER BY SystemModstamp');
  const none = await conn.query(
    `SELECT Id FROM Lead WHERE Company = '${pageCompany}' AND SystemModstamp > ${jsforce.SfDate.toDateTimeLiteral(new Date(Date.now() + 3600e3))}`);
  assert.equal(none.totalSize, 0, 'records modified in the future');
});

await step('query.queryAll', async () => {
  const id = need(state.deletedId, 'deleted lead id');
  const live = await conn.query(`SELECT Id FROM Lead WHERE Id = '${id}'`);
  assert.equal(live.totalSize, 0, 'deleted lead in query');
  // jsforce 3 has no queryAll(); scanAll switches the resource to /queryAll.
  const all = await conn.query(`SELECT Id, IsDeleted FROM Lead WHERE Id = '${id}'`, { scanAll: true });
  assert.equal(all.totalSize, 1, 'deleted lead in queryAll');
  assert.equal(all.records[0].IsDeleted, true);
});

await step('composite', async () => {
  const v = `/services/data/v${conn.version}`;
  const res = await conn.request({
    method: 'POST',
    url: '/composite',
    body: JSON.stringify({
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'refAccount', body: { Name: `Composite ${run}` } },
        { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'refContact', body: { LastName: 'Composite', AccountId: '@{refAccount.id}' } },
        { method: 'GET', url: `${v}/sobjects/Contact/@{refContact.id}`, referenceId: 'getContact' },
      ],
    }),
    headers: { 'content-type': 'application/json' },
  });
  const [acc, con, get] = res.compositeResponse;
  assert.deepEqual(res.compositeResponse.map((r) => r.referenceId), ['refAccount', 'refContact', 'getContact']);
  assert.equal(acc.httpStatusCode, 201, JSON.stringify(acc));
  assert.equal(con.httpStatusCode, 201, JSON.stringify(con));
  assert.equal(get.httpStatusCode, 200, JSON.stringify(get));
  assert.equal(get.body.AccountId, acc.body.id, 'reference resolved');
});

await step('composite.all-or-none', async () => {
  const v = `/services/data/v${conn.version}`;
  const name = `Rollback ${run}`;
  const res = await conn.request({
    method: 'POST',
    url: '/composite',
    body: JSON.stringify({
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'good', body: { Name: name } },
        { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'bad', body: { FirstName: 'NoLastName' } },
      ],
    }),
    headers: { 'content-type': 'application/json' },
  });
  for (const r of res.compositeResponse) {
    assert.ok(r.httpStatusCode >= 400, `${r.referenceId} status ${r.httpStatusCode}`);
  }
  const left = await conn.query(`SELECT Id FROM Account WHERE Name = '${name}'`);
  assert.equal(left.totalSize, 0, 'rolled-back account persisted');
});

await step('limits', async () => {
  const lim = await conn.limits();
  const d = lim.DailyApiRequests;
  assert.equal(typeof d.Max, 'number');
  assert.equal(typeof d.Remaining, 'number');
  assert.ok(d.Remaining <= d.Max && d.Remaining >= 0);
  // jsforce parses Sforce-Limit-Info (api-usage=used/limit) on every reply.
  const usage = conn.limitInfo.apiUsage;
  assert.ok(usage, 'no Sforce-Limit-Info api-usage parsed');
  assert.equal(usage.limit, d.Max, 'header limit vs /limits Max');
  assert.ok(Math.abs((d.Max - d.Remaining) - usage.used) <= 2,
    `header used ${usage.used} vs /limits used ${d.Max - d.Remaining}`);
  return { used: usage.used, limit: usage.limit };
});

await step('updated-deleted', async () => {
  const id = need(state.deletedId, 'deleted lead id');
  // The Go test runs the emulator's clock 10 minutes behind, so everything
  // this run wrote lies inside [now-60m, now] with whole minutes to spare.
  const end = new Date();
  const start = new Date(end.getTime() - 60 * 60 * 1000);
  const upd = await Lead.updated(start, end);
  assert.ok(Array.isArray(upd.ids), 'ids array');
  assert.ok(upd.ids.length >= pageRecords, `updated ids: ${upd.ids.length}`);
  assert.match(upd.latestDateCovered, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  const del = await Lead.deleted(start, end);
  assert.ok(del.deletedRecords.some((r) => r.id === id), 'deleted lead listed');
});

await step('api-version.62', async () => {
  const c62 = new jsforce.Connection({
    instanceUrl: conn.instanceUrl, accessToken: conn.accessToken, version: '62.0',
  });
  const res = await c62.query('SELECT Id FROM User LIMIT 1');
  assert.equal(res.totalSize >= 1, true);
});

finish();
