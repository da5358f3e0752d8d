import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import type { AuditEntry } from '../../src/modules/audit/audit.service.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, type TestUser } from '../helpers/accounts.js';
import { backends, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const AuditLogsQuery = graphql(`
  query AuditLogList($targetUserUuid: UUID, $action: String, $first: Int, $after: String) {
    auditLogs(targetUserUuid: $targetUserUuid, action: $action, first: $first, after: $after) {
      edges {
        cursor
        node { id uuid action adminUserUuid targetUserUuid ipAddress userAgent metadata insertedAt }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

type Role = 'anonymous' | 'user' | 'admin' | 'owner';

describe.each(backends)('audit log on %s', (_name, open) => {
  let backend: Backend;
  let app: App;
  let users: Record<Exclude<Role, 'anonymous'>, TestUser>;
  const headers = (role: Role) => (role === 'anonymous' ? {} : users[role].headers);
  /** The entries in the order they were recorded. */
  const recorded: AuditEntry[] = [];
  const targetA = randomUUID();
  const targetB = randomUUID();

  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    const owner = await signUp(app);
    const admin = await signUp(app);
    await grantRole(backend.database.prisma, admin.uuid, 'Admin');
    const user = await signUp(app);
    users = { owner, admin, user };

    const entries: AuditEntry[] = [
      { action: 'role_assigned', actorUuid: owner.uuid, targetUserUuid: targetA, client: { ip: '203.0.113.7', userAgent: 'Browser/1.0' }, metadata: { role: 'Admin' } },
      { action: 'user_deactivated', actorUuid: admin.uuid, targetUserUuid: targetA, client: { ip: '2001:db8::1', userAgent: null } },
      { action: 'admin_password_reset', actorUuid: admin.uuid, targetUserUuid: targetB, client: { ip: null, userAgent: 'curl/8 ünïcødé 😀' }, metadata: { target_email: 'b@test.local', nested: { n: [1, 2] } } },
      { action: 'role_assigned', actorUuid: owner.uuid, targetUserUuid: targetB, client: { ip: '198.51.100.2', userAgent: 'Browser/2.0' }, metadata: { role: 'Editor' } },
      { action: 'user_activated', actorUuid: owner.uuid, targetUserUuid: targetA, client: { ip: '203.0.113.7', userAgent: 'Browser/1.0' } },
    ];
    for (const entry of entries) {
      await app.services.audit.record(entry);
      recorded.push(entry);
    }
  });
  afterAll(async () => {
    await app.services.settings.close();
    await backend.close();
  });

  const list = (variables: { targetUserUuid?: string; action?: string; first?: number; after?: string }, role: Role = 'admin') =>
    execute(app, AuditLogsQuery, variables, headers(role));

  test('rows come newest first with every recorded field', async () => {
    const result = await list({ first: 50 });
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.auditLogs.edges.map((e) => e.node);
    expect(nodes).toHaveLength(recorded.length);
    const expected = [...recorded].reverse();
    nodes.forEach((node, i) => {
      const entry = expected[i]!;
      expect(node).toMatchObject({
        action: entry.action,
        adminUserUuid: entry.actorUuid,
        targetUserUuid: entry.targetUserUuid,
        ipAddress: entry.client.ip,
        userAgent: entry.client.userAgent,
        metadata: entry.metadata ?? {},
      });
      expect(node.uuid).toMatch(/^[0-9a-f-]{36}$/);
    });
    const times = nodes.map((n) => Date.parse(n.insertedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  test.each([
    ['target A', { targetUserUuid: targetA }, (e: AuditEntry) => e.targetUserUuid === targetA],
    ['target B', { targetUserUuid: targetB }, (e: AuditEntry) => e.targetUserUuid === targetB],
    ['action role_assigned', { action: 'role_assigned' }, (e: AuditEntry) => e.action === 'role_assigned'],
    ['target A and role_assigned', { targetUserUuid: targetA, action: 'role_assigned' }, (e: AuditEntry) => e.targetUserUuid === targetA && e.action === 'role_assigned'],
    ['an unknown user', { targetUserUuid: randomUUID() }, () => false],
    ['an unknown action', { action: 'no_such_action' }, () => false],
  ])('filters by %s', async (_name, filter, keep) => {
    const result = await list({ ...filter, first: 50 });
    const actions = result.data!.auditLogs.edges.map((e) => `${e.node.action}@${e.node.targetUserUuid}`);
    expect(actions).toEqual([...recorded].reverse().filter(keep).map((e) => `${e.action}@${e.targetUserUuid}`));
  });

  test('pages by cursor without gaps or repeats', async () => {
    const all = (await list({ first: 50 })).data!.auditLogs.edges.map((e) => e.node.uuid);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await list({ first: 2, after })).data!.auditLogs;
      seen.push(...page.edges.map((e) => e.node.uuid));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? undefined;
    }
    expect(seen).toEqual(all);
  });

  test('a malformed user uuid is refused by the schema', async () => {
    const result = await list({ targetUserUuid: 'not-a-uuid' });
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.message).toMatch(/UUID/);
  });

  test.each<[Role, string | null]>([
    ['anonymous', 'UNAUTHENTICATED'],
    ['user', 'FORBIDDEN'],
    ['admin', null],
    ['owner', null],
  ])('as %s: %s', async (role, code) => {
    const result = await list({ first: 50 }, role);
    if (code) {
      expect(result.errors?.[0]?.extensions?.code).toBe(code);
      expect(result.data?.auditLogs ?? null).toBeNull();
    } else {
      expect(result.errors).toBeUndefined();
      expect(result.data!.auditLogs.edges).toHaveLength(recorded.length);
    }
  });
});
