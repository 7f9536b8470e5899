// Step runner shared by the compatibility scripts. Each step prints one JSON
// line, {"step":"…","ok":true} or {"step":"…","ok":false,"error":"…"}, so the
// Go tests can report exactly which library call disagreed with the emulator.
// A failing step does not stop the run: later independent steps still give
// the lead a full picture. The process exits 1 if any step failed.

const failures = [];

/**
 * Runs fn as the named step and prints its outcome. Extra fields returned by
 * fn (an object) are merged into the printed line, e.g. ids the Go side
 * checks webhooks against.
 * @param {string} name
 * @param {() => Promise<object|void>} fn
 */
export async function step(name, fn) {
  try {
    const extra = (await fn()) ?? {};
    console.log(JSON.stringify({ step: name, ok: true, ...extra }));
    return true;
  } catch (err) {
    failures.push(name);
    console.log(JSON.stringify({ step: name, ok: false, error: describe(err) }));
    return false;
  }
}

/** Throws when an earlier step did not produce what this one depends on. */
export function need(value, what) {
  if (value === undefined || value === null || value === '') {
    throw new Error(`not run: needs ${what} from an earlier step`);
  }
  return value;
}

/**
 * Awaits a promise that must reject and returns the error, so the caller can
 * assert on its shape.
 */
export async function rejects(promise, what) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error(`${what}: expected an error, call succeeded`);
}

/** Exits with the overall result; call once at the end of a script. */
export function finish() {
  if (failures.length > 0) {
    console.error(`failed steps: ${failures.join(', ')}`);
    process.exit(1);
  }
  process.exit(0);
}

// describe renders an error with what the libraries attach to it (jsforce:
// errorCode and data; intercom-client: statusCode and body), because the
// message alone rarely says which side of the wire is wrong.
function describe(err) {
  if (!(err instanceof Error)) {
    return String(err);
  }
  const parts = [`${err.name}: ${err.message}`];
  if (err.errorCode) parts.push(`errorCode=${err.errorCode}`);
  if (err.statusCode) parts.push(`status=${err.statusCode}`);
  if (err.body !== undefined) parts.push(`body=${safeJSON(err.body)}`);
  if (err.data !== undefined) parts.push(`data=${safeJSON(err.data)}`);
  return parts.join(' ');
}

function safeJSON(v) {
  try {
    const s = JSON.stringify(v);
    return s.length > 600 ? `${s.slice(0, 600)}…` : s;
  } catch {
    return String(v);
  }
}
