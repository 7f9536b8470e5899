// Drives an Intercom REST endpoint (ferry's emulator) with intercom-client,
// Intercom's official Node SDK (6.4.0: its default Intercom-Version is 2.11),
// through its public API only. Usage:
//
//   node intercom.mjs <base-url>
//
// IC_TOKEN is an access token the endpoint accepts; IC_RUN (letters and
// digits) makes names unique per run; IC_RATE_URL is a second endpoint whose
// rate limit is small enough to exceed with a few dozen calls. Prints one JSON
// line per step (see steps.mjs); the Go test checks the signed webhooks the
// actions below cause.
import assert from 'node:assert/strict';
import { IntercomClient, IntercomError } from 'intercom-client';
import { step, need, rejects, finish } from './steps.mjs';

const base = process.argv[2];
if (!base) {
  console.error('usage: node intercom.mjs <base-url>');
  process.exit(2);
}
const env = process.env;
const token = env.IC_TOKEN ?? 'compat-token';
const run = env.IC_RUN ?? String(Date.now());
const rateURL = env.IC_RATE_URL;

// baseUrl is the SDK's documented option for a non-default host.
const client = new IntercomClient({ token, baseUrl: base });
const domain = `${run}.example.com`;
const attr = `compat${run}`;
const s = {};

// errorCode returns the first error code of an Intercom error.list body.
function errorCode(err) {
  assert.ok(err instanceof IntercomError, `not an IntercomError: ${err}`);
  assert.equal(err.body?.type, 'error.list', `error body ${JSON.stringify(err.body)}`);
  return err.body.errors?.[0]?.code;
}

await step('admins.list', async () => {
  const res = await client.admins.list();
  assert.equal(res.type, 'admin.list');
  assert.ok(res.admins.length > 0, 'no admins');
  for (const a of res.admins) {
    assert.equal(a.type, 'admin');
    assert.equal(typeof a.id, 'string');
  }
  s.admin = res.admins[0];
});

await step('admins.find', async () => {
  const a = need(s.admin, 'an admin');
  const got = await client.admins.find({ admin_id: a.id });
  assert.equal(got.id, a.id);
  assert.equal(got.email, a.email);
});

await step('admins.identify', async () => {
  const me = await client.admins.identify();
  assert.equal(me.type, 'admin');
  assert.ok(me.email, 'no email on /me');
});

await step('errors.unauthorized', async () => {
  const bad = new IntercomClient({ token: 'not-a-token', baseUrl: base });
  const err = await rejects(bad.admins.list(), 'list admins with a bad token');
  assert.equal(err.statusCode, 401);
  assert.equal(errorCode(err), 'unauthorized');
});

await step('data-attributes.create', async () => {
  const da = await client.dataAttributes.create({
    name: attr, model: 'contact', data_type: 'string', description: 'Salesforce id (compat)',
  });
  assert.equal(da.type, 'data_attribute');
  assert.equal(da.name, attr);
  assert.equal(da.full_name, `custom_attributes.${attr}`);
  assert.equal(da.model, 'contact');
  assert.equal(da.data_type, 'string');
  assert.equal(da.custom, true);
  assert.ok(da.id !== undefined && da.id !== null, 'no id');
  s.attrId = da.id;
});

await step('data-attributes.list', async () => {
  const res = await client.dataAttributes.list({ model: 'contact' });
  assert.equal(res.type, 'list');
  assert.ok(res.data.some((d) => d.name === attr), `${attr} not listed`);
  assert.ok(res.data.some((d) => d.name === 'email' && d.custom === false), 'built-in email attribute');
});

await step('data-attributes.update', async () => {
  const id = need(s.attrId, 'data attribute id');
  const da = await client.dataAttributes.update({ data_attribute_id: String(id), description: 'updated' });
  assert.equal(da.description, 'updated');
});

await step('errors.duplicate-attribute', async () => {
  need(s.attrId, 'data attribute');
  const err = await rejects(client.dataAttributes.create({ name: attr, model: 'contact', data_type: 'string' }),
    'duplicate data attribute');
  assert.equal(err.statusCode, 400);
  assert.equal(errorCode(err), 'parameter_invalid');
});

await step('contacts.create', async () => {
  const email = `user0@${domain}`;
  const c = await client.contacts.create({
    role: 'user', email, name: 'Compat User', external_id: `ext-${run}`,
    custom_attributes: s.attrId ? { [attr]: '00Qcompat' } : undefined,
  });
  assert.equal(c.type, 'contact');
  assert.equal(c.role, 'user');
  assert.equal(c.email, email);
  assert.equal(c.external_id, `ext-${run}`);
  assert.equal(typeof c.created_at, 'number');
  if (s.attrId) assert.equal(c.custom_attributes?.[attr], '00Qcompat');
  s.user = c;
  return { id: c.id, email };
});

await step('contacts.find', async () => {
  const u = need(s.user, 'a contact');
  const c = await client.contacts.find({ contact_id: u.id });
  assert.equal(c.id, u.id);
  assert.equal(c.email, u.email);
});

await step('contacts.update', async () => {
  const u = need(s.user, 'a contact');
  const c = await client.contacts.update({ contact_id: u.id, name: 'Compat Renamed' });
  assert.equal(c.name, 'Compat Renamed');
  assert.ok(c.updated_at >= u.updated_at);
});

await step('contacts.update-custom-attribute', async () => {
  const u = need(s.user, 'a contact');
  need(s.attrId, 'data attribute');
  const c = await client.contacts.update({ contact_id: u.id, custom_attributes: { [attr]: '00Qupdated' } });
  assert.equal(c.custom_attributes[attr], '00Qupdated');
  await client.contacts.update({ contact_id: u.id, custom_attributes: { [attr]: '00Qcompat' } });
});

await step('contacts.create-lead', async () => {
  const c = await client.contacts.create({ role: 'lead', name: 'Compat Lead', email: `lead@${domain}` });
  assert.equal(c.role, 'lead');
  s.lead = c;
});

await step('errors.not-found', async () => {
  const err = await rejects(client.contacts.find({ contact_id: '000000000000000000000000' }), 'unknown contact');
  assert.equal(err.statusCode, 404);
  assert.equal(errorCode(err), 'not_found');
});

await step('contacts.search-paged', async () => {
  for (let i = 1; i <= 4; i++) {
    await client.contacts.create({ role: 'user', email: `user${i}@${domain}` });
  }
  const query = {
    query: {
      operator: 'AND',
      value: [
        { field: 'email', operator: '$', value: `@${domain}` },
        { field: 'role', operator: '=', value: 'user' },
      ],
    },
    pagination: { per_page: 2 },
  };
  const page = await client.contacts.search(query);
  const ids = new Set(page.data.map((c) => c.id));
  let pages = 1;
  while (page.hasNextPage()) {
    await page.getNextPage();
    page.data.forEach((c) => ids.add(c.id));
    assert.ok(++pages < 20, 'too many pages');
  }
  assert.equal(ids.size, 5, 'distinct users found');
  assert.ok(pages >= 3, `pages: ${pages}`);
  return { pages };
});

await step('contacts.search-custom-attribute', async () => {
  const u = need(s.user, 'a contact');
  need(s.attrId, 'data attribute');
  const page = await client.contacts.search({
    query: { field: `custom_attributes.${attr}`, operator: '=', value: '00Qcompat' },
  });
  assert.deepEqual(page.data.map((c) => c.id), [u.id]);
});

await step('contacts.list', async () => {
  const page = await client.contacts.list({ per_page: 2 });
  assert.ok(page.data.length > 0 && page.data.length <= 2, `page of ${page.data.length}`);
  assert.ok(page.data.every((c) => c.type === 'contact'));
  assert.ok(page.hasNextPage(), 'more than 2 contacts exist, expected a next page');
  await page.getNextPage();
  assert.ok(page.data.length > 0);
});

await step('contacts.merge', async () => {
  const lead = need(s.lead, 'a lead');
  const u = need(s.user, 'a user');
  const merged = await client.contacts.mergeLeadInUser({ from: lead.id, into: u.id });
  assert.equal(merged.id, u.id);
  const err = await rejects(client.contacts.find({ contact_id: lead.id }), 'find merged-away lead');
  assert.equal(err.statusCode, 404);
});

await step('companies.create', async () => {
  const co = await client.companies.createOrUpdate({
    company_id: `co-${run}`, name: 'Compat Co', size: 10, website: 'https://compat.example.com',
  });
  assert.equal(co.type, 'company');
  assert.equal(co.company_id, `co-${run}`);
  assert.equal(co.name, 'Compat Co');
  s.company = co;
  return { id: co.id };
});

await step('companies.update-by-company-id', async () => {
  const co = need(s.company, 'a company');
  const again = await client.companies.createOrUpdate({ company_id: `co-${run}`, name: 'Compat Co 2' });
  assert.equal(again.id, co.id, 'createOrUpdate with the same company_id made a new company');
  assert.equal(again.name, 'Compat Co 2');
});

await step('companies.find', async () => {
  const co = need(s.company, 'a company');
  const got = await client.companies.find({ company_id: co.id });
  assert.equal(got.id, co.id);
  assert.equal(got.company_id, `co-${run}`);
});

await step('companies.retrieve-by-company-id', async () => {
  const co = need(s.company, 'a company');
  const got = await client.companies.retrieve({ company_id: `co-${run}` });
  const found = got.type === 'list' ? got.data?.[0] : got;
  assert.equal(found?.id, co.id, `response ${JSON.stringify(got).slice(0, 200)}`);
});

await step('companies.attach-contact', async () => {
  const co = need(s.company, 'a company');
  const u = need(s.user, 'a contact');
  const res = await client.companies.attachContact({ contact_id: u.id, id: co.id });
  assert.equal(res.id, co.id);
  const c = await client.contacts.find({ contact_id: u.id });
  assert.ok(c.companies.data.some((x) => x.id === co.id), `contact.companies ${JSON.stringify(c.companies)}`);
  s.attached = true;
});

await step('companies.list-attached', async () => {
  need(s.attached, 'an attached company');
  const page = await client.contacts.listAttachedCompanies({ contact_id: s.user.id });
  const ids = [];
  // The SDK asks for page+1 while the last page was non-empty, so a server
  // that ignores ?page= would make this loop forever.
  for await (const c of page) {
    ids.push(c.id);
    assert.ok(ids.length <= 50, 'GET /contacts/{id}/companies?page=N repeats the same companies');
  }
  assert.ok(ids.includes(s.company.id), `attached companies [${ids}]`);
});

await step('companies.list-contacts', async () => {
  const co = need(s.company, 'a company');
  need(s.attached, 'an attached company');
  const res = await client.companies.listAttachedContacts({ company_id: co.id });
  assert.equal(res.type, 'list');
  assert.ok(res.data.some((c) => c.id === s.user.id), `attached contacts ${JSON.stringify(res.data.map((c) => c.id))}`);
});

await step('companies.list', async () => {
  const co = need(s.company, 'a company');
  need(s.attached, 'an attached company');
  // POST /companies/list; companies without users are left out, ours has one.
  const page = await client.companies.list({ per_page: 50 });
  const ids = [];
  for await (const c of page) {
    assert.equal(c.type, 'company');
    ids.push(c.id);
    if (ids.length > 500) break;
  }
  assert.ok(ids.includes(co.id), 'company with a user not listed');
});

await step('contacts.archive', async () => {
  const c = await client.contacts.create({ role: 'user', email: `archive@${domain}` });
  const a = await client.contacts.archive({ contact_id: c.id });
  assert.equal(a.archived, true);
  assert.equal(a.id, c.id);
  const u = await client.contacts.unarchive({ contact_id: c.id });
  assert.equal(u.archived, false);
});

await step('conversations.create', async () => {
  const u = need(s.user, 'a contact');
  const msg = await client.conversations.create({ from: { type: 'user', id: u.id }, body: 'Hello from compat' });
  assert.ok(msg.conversation_id, `no conversation_id in ${JSON.stringify(msg)}`);
  s.convId = String(msg.conversation_id);
  return { conversation_id: s.convId };
});

await step('conversations.find', async () => {
  const id = need(s.convId, 'a conversation');
  const c = await client.conversations.find({ conversation_id: id });
  assert.equal(c.type, 'conversation');
  assert.equal(c.id, id);
  assert.equal(c.contacts.contacts[0].id, s.user.id);
  assert.match(c.source.body, /Hello from compat/);
  assert.ok(['open', 'closed', 'snoozed'].includes(c.state));
});

await step('conversations.note', async () => {
  const id = need(s.convId, 'a conversation');
  const admin = need(s.admin, 'an admin');
  const c = await client.conversations.reply({
    conversation_id: id,
    body: { message_type: 'note', type: 'admin', admin_id: admin.id, body: `<p>Salesforce lead ${run}</p>` },
  });
  assert.equal(c.type, 'conversation');
  const parts = c.conversation_parts.conversation_parts;
  const last = parts[parts.length - 1];
  assert.equal(last.part_type, 'note');
  assert.equal(last.author.id, admin.id);
  assert.equal(last.author.type, 'admin');
  assert.match(last.body, new RegExp(`Salesforce lead ${run}`));
  return { conversation_id: id };
});

await step('conversations.reply', async () => {
  const id = need(s.convId, 'a conversation');
  const admin = need(s.admin, 'an admin');
  const c = await client.conversations.reply({
    conversation_id: id,
    body: { message_type: 'comment', type: 'admin', admin_id: admin.id, body: 'Thanks!' },
  });
  const parts = c.conversation_parts.conversation_parts;
  assert.equal(parts[parts.length - 1].part_type, 'comment');
});

await step('conversations.user-reply', async () => {
  const id = need(s.convId, 'a conversation');
  const c = await client.conversations.reply({
    conversation_id: id,
    body: { message_type: 'comment', type: 'user', intercom_user_id: s.user.id, body: 'One more thing' },
  });
  const parts = c.conversation_parts.conversation_parts;
  const last = parts[parts.length - 1];
  assert.equal(last.part_type, 'comment');
  assert.equal(last.author.id, s.user.id);
});

await step('conversations.close', async () => {
  const id = need(s.convId, 'a conversation');
  const admin = need(s.admin, 'an admin');
  const c = await client.conversations.manage({
    conversation_id: id,
    body: { message_type: 'close', type: 'admin', admin_id: admin.id, body: 'Closing' },
  });
  assert.equal(c.state, 'closed');
  assert.equal(c.open, false);
});

await step('conversations.search', async () => {
  const id = need(s.convId, 'a conversation');
  const page = await client.conversations.search({
    query: { operator: 'AND', value: [{ field: 'id', operator: '=', value: id }] },
  });
  assert.deepEqual(page.data.map((c) => c.id), [id]);
});

await step('conversations.list', async () => {
  const id = need(s.convId, 'a conversation');
  const page = await client.conversations.list({ per_page: 20 });
  const ids = [];
  for await (const c of page) {
    assert.equal(c.type, 'conversation');
    ids.push(c.id);
    if (ids.length > 500) break;
  }
  assert.ok(ids.includes(id), 'created conversation not listed');
});

await step('events.create', async () => {
  need(s.user, 'a contact');
  // 202 with an empty body; the SDK resolves to undefined.
  await client.events.create({
    event_name: 'compat-synced', created_at: Math.floor(Date.now() / 1000),
    user_id: `ext-${run}`, metadata: { run },
  });
});

await step('rate-limit.headers', async () => {
  const { rawResponse } = await client.admins.list().withRawResponse();
  const h = rawResponse.headers;
  const limit = Number(h.get('x-ratelimit-limit'));
  const remaining = Number(h.get('x-ratelimit-remaining'));
  const reset = Number(h.get('x-ratelimit-reset'));
  assert.ok(Number.isInteger(limit) && limit > 0, `X-RateLimit-Limit ${h.get('x-ratelimit-limit')}`);
  assert.ok(Number.isInteger(remaining) && remaining >= 0 && remaining <= limit, `X-RateLimit-Remaining ${h.get('x-ratelimit-remaining')}`);
  // A Unix timestamp in seconds, not a duration or milliseconds.
  assert.ok(reset > 1e9 && reset < 1e11, `X-RateLimit-Reset ${h.get('x-ratelimit-reset')}`);
});

await step('rate-limit.exceeded', async () => {
  const url = need(rateURL, 'IC_RATE_URL');
  const limited = new IntercomClient({ token, baseUrl: url });
  for (let i = 0; i < 300; i++) {
    try {
      // maxRetries 0: the SDK would otherwise back off and retry 429s itself.
      await limited.admins.list({ maxRetries: 0 });
    } catch (err) {
      assert.equal(err.statusCode, 429, `status after ${i} calls`);
      assert.equal(errorCode(err), 'rate_limit_exceeded');
      assert.equal(err.rawResponse?.headers.get('x-ratelimit-remaining'), '0');
      return { calls: i + 1 };
    }
  }
  throw new Error('300 calls without a 429');
});

await step('cleanup.delete', async () => {
  const u = need(s.user, 'a contact');
  const co = need(s.company, 'a company');
  await client.companies.detachContact({ contact_id: u.id, company_id: co.id });
  const d = await client.contacts.delete({ contact_id: u.id });
  assert.equal(d.deleted, true);
  assert.equal(d.id, u.id);
  const dc = await client.companies.delete({ company_id: co.id });
  assert.equal(dc.deleted, true);
});

finish();
