/**
 * /openapi.json is what clients are generated from (clients/sdk): structural checks a
 * validator would make, without one (no OpenAPI validator is a dependency): unique
 * operationIds everywhere, every $ref resolves, named shared schemas, servers, public
 * routes without the bearer requirement, 403/503 on every /v1 route, /v1/usage tagged for
 * its callers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIntake, type TestIntake } from '../helpers/intake.js';

type Op = { operationId?: string; security?: unknown[]; tags?: string[]; summary?: string; description?: string; responses?: Record<string, unknown> };
let t: TestIntake;
let doc: { openapi: string; servers?: Array<{ url: string }>; security?: unknown[]; paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([m]) => METHODS.includes(m)).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, op })));

before(async () => {
  t = await startIntake();
  const res = await fetch(`${t.url}/openapi.json`);
  assert.equal(res.status, 200);
  doc = (await res.json()) as typeof doc;
});
after(() => t.close());

describe('/openapi.json', () => {
  it('is OpenAPI 3 with servers and a bearer scheme required by default', () => {
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.servers && doc.servers.length > 0 && /^https?:\/\//.test(doc.servers[0]!.url), JSON.stringify(doc.servers));
    assert.deepEqual(doc.security, [{ bearer: [] }]);
    assert.ok(doc.components.securitySchemes.bearer);
  });

  it('gives every operation a unique operationId', () => {
    const ops = operations();
    assert.ok(ops.length > 30, `only ${ops.length} operations`);
    const missing = ops.filter(({ op }) => typeof op.operationId !== 'string' || !/^[a-z][A-Za-z0-9]*$/.test(op.operationId)).map(({ key }) => key);
    assert.deepEqual(missing, [], 'operations without an operationId');
    const ids = ops.map(({ op }) => op.operationId);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'duplicate operationIds');
  });

  it('resolves every $ref, and shares the named views in components/schemas', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') refs.push(v);
        else walk(v);
      }
    };
    walk(doc);
    assert.ok(refs.length > 50, `only ${refs.length} $refs`);
    const resolve = (ref: string) => {
      assert.match(ref, /^#\//, `${ref} is not a local reference`);
      return ref
        .slice(2)
        .split('/')
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), doc);
    };
    const dangling = [...new Set(refs)].filter((ref) => resolve(ref) === undefined);
    assert.deepEqual(dangling, [], 'references that resolve to nothing');
    for (const name of ['Error', 'Meta', 'Upload', 'CreatedUpload', 'CompletedUpload', 'Asset', 'Namespace', 'NamespaceWithUsage', 'Key', 'CreatedKey', 'Usage', 'Webhook', 'WebhookDelivery']) {
      assert.ok(doc.components.schemas[name], `components/schemas/${name} is missing`);
      assert.ok(refs.includes(`#/components/schemas/${name}`), `${name} is never referenced`);
    }
    // Every error answer of the API is the shared envelope.
    const createUpload = doc.paths['/v1/uploads']!.post!.responses!['400'] as { content: Record<string, { schema: unknown }> };
    assert.deepEqual(createUpload.content['application/json']!.schema, { $ref: '#/components/schemas/Error' });
  });

  it('lists the public routes without the bearer requirement, described, with their answers', () => {
    const ops = operations();
    for (const prefix of ['/healthz', '/readyz', '/metrics', '/files/', '/p/']) {
      const matching = ops.filter(({ path }) => path === prefix || path.startsWith(prefix));
      assert.ok(matching.length > 0, `${prefix} is not in the document`);
      for (const { key, op } of matching) {
        assert.deepEqual(op.security, [], `${key} must not require a key`);
        assert.ok(op.summary && op.summary.length > 5, `${key} has no summary`);
        assert.ok(Object.keys(op.responses ?? {}).some((s) => /^[23]/.test(s)), `${key} documents no success answer`);
      }
    }
    for (const method of ['options', 'put', 'post', 'get', 'head']) assert.ok(doc.paths['/files/{*}']?.[method], `${method} /files/* missing`);
    assert.ok(doc.paths['/readyz']!.get!.responses!['503'], '/readyz documents its 503');
    // Everything else requires the key (the document's default).
    for (const { key, path, op } of ops) if (path.startsWith('/v1/')) assert.equal(op.security, undefined, `${key} must keep the bearer requirement`);
  });

  it('documents 403 and 503 on every /v1 route, and tags /v1/usage for namespace keys', () => {
    for (const { key, path, op } of operations()) {
      if (!path.startsWith('/v1/')) continue;
      for (const status of ['401', '403', '503']) assert.ok(op.responses?.[status], `${key} does not document ${status}`);
      assert.ok(op.tags && op.tags.length === 1, `${key} has no tag`);
    }
    const usage = doc.paths['/v1/usage']!.get!;
    assert.deepEqual(usage.tags, ['namespace']);
    assert.match(usage.description ?? '', /namespace key/);
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.startsWith('/v1/namespaces') || path.startsWith('/v1/keys')) for (const op of Object.values(ops)) assert.deepEqual(op.tags, ['admin'], path);
    }
  });
});
