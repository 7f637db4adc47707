import sjson from 'secure-json-parse';

/**
 * JSON.parse for anything a client sends: a `__proto__` key or a `constructor.prototype`
 * (prototype pollution, once merged into an object) is a syntax error, not data.
 */
export function parseClientJson(text: string): unknown {
  return sjson.parse(text, { protoAction: 'error', constructorAction: 'error' });
}
