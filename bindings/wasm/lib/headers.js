// Request header fields in the shapes callers use, as the flat
// `[name, value, …]` list the wasm `Pool` takes, and response fields in
// the shapes undici's handlers expect.

/** A name or value as text: strings as they are, bytes one character per byte. */
function text(value) {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  return String(value);
}

/**
 * `[name, value, name, value, …]` from an object (`{name: value | value[]}`),
 * a `Headers`, a `Map`, `[name, value]` pairs, or a flat list (undici's
 * `['name', 'value', …]`); `undefined` for none.
 */
export function headerList(headers) {
  if (headers == null) return undefined;
  const flat = [];
  const add = (name, value) => {
    if (value === undefined) return;
    if (Array.isArray(value)) for (const v of value) flat.push(text(name), text(v));
    else flat.push(text(name), text(value));
  };
  if (Array.isArray(headers) && headers.length > 0 && !Array.isArray(headers[0])) {
    if (headers.length % 2 !== 0) throw new TypeError('a flat header list must hold name, value pairs');
    for (let i = 0; i < headers.length; i += 2) add(headers[i], headers[i + 1]);
  } else if (typeof headers[Symbol.iterator] === 'function') {
    for (const [name, value] of headers) add(name, value);
  } else {
    for (const name of Object.keys(headers)) add(name, headers[name]);
  }
  return flat.length > 0 ? flat : undefined;
}

/** The value of the first field named `lower` (lower case) in a flat list. */
export function findHeader(flat, lower) {
  if (flat === undefined) return undefined;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i];
    if (name.length === lower.length && name.toLowerCase() === lower) return flat[i + 1];
  }
  return undefined;
}

/** `[[name, value], …]` as undici's raw form: `[Buffer name, Buffer value, …]`. */
export function rawFields(fields) {
  const raw = new Array(2 * fields.length);
  for (let i = 0; i < fields.length; i++) {
    raw[2 * i] = Buffer.from(fields[i][0], 'latin1');
    raw[2 * i + 1] = Buffer.from(fields[i][1], 'latin1');
  }
  return raw;
}

/**
 * `[[name, value], …]` as undici's parsed form: names in lower case, a
 * repeated field's values in an array (an object without a prototype, so
 * no field name can reach one).
 */
export function fieldObject(fields) {
  const object = Object.create(null);
  for (const [name, value] of fields) {
    const key = name.toLowerCase();
    const seen = object[key];
    if (seen === undefined) object[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else object[key] = [seen, value];
  }
  return object;
}
