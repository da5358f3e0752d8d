import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { openPostgres } from '../../src/db/database.js';
import { SETTING_DEFAULTS } from '../../src/modules/settings/domain/defaults.js';
import { createSettingsService } from '../../src/modules/settings/setting.service.js';
import { LISTENER_APPLICATION_NAME } from '../../src/modules/settings/setting-listener.js';
import { graphql } from '../gql/index.js';
import { createTestApp, grantRole, signUp, silentLog, type TestUser } from '../helpers/accounts.js';
import { backends, withCleanups, type Backend } from '../helpers/backends.js';
import { execute } from '../helpers/execute.js';

const SettingsGet = graphql(`
  query SettingsGet($key: String!) {
    setting(key: $key) { id uuid key value valueJson module isDefault dateAdded dateUpdated }
  }
`);

const SettingsList = graphql(`
  query SettingsList($module: String, $first: Int, $after: String, $last: Int, $before: String) {
    settings(module: $module, first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { key value valueJson module isDefault uuid } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`);

const SettingsUpdate = graphql(`
  mutation SettingsUpdate($input: UpdateSettingInput!) {
    updateSetting(input: $input) {
      __typename
      ... on MutationUpdateSettingSuccess { data { id uuid key value valueJson module isDefault dateAdded dateUpdated } }
      ... on ValidationError { code message issues { path message } }
    }
  }
`);

const SettingsMe = graphql(`
  query SettingsMe {
    me { uuid userTimezone effectiveTimezone }
  }
`);

const SettingsUsersPlain = graphql(`
  query SettingsUsersPlain {
    users(first: 50) { edges { node { uuid } } }
  }
`);

const SettingsUsersTimezones = graphql(`
  query SettingsUsersTimezones {
    users(first: 50) { edges { node { uuid effectiveTimezone } } }
  }
`);

type Role = 'anonymous' | 'user' | 'admin' | 'owner';
const ROLES: Role[] = ['anonymous', 'user', 'admin', 'owner'];

/** Every settings row, in a comparable form, for "nothing changed" assertions. */
const settingsRows = (backend: Backend) =>
  backend.database.sql.query(
    `SELECT uuid::text, key, value, value_json::text AS value_json, module, date_updated::text FROM phoenix_kit_settings ORDER BY key`,
  );

const settingsStatements = (backend: Backend) => backend.queries.filter((q) => q.includes('phoenix_kit_settings')).length;

const until = async (check: () => Promise<boolean>, timeoutMs: number, stepMs = 10) => {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
};

/** Repeats `read` until it answers from the cache (on PostgreSQL only once the LISTEN connection is up). */
const untilCached = (backend: Backend, read: () => Promise<unknown>) =>
  until(async () => {
    backend.queries.length = 0;
    await read();
    return settingsStatements(backend) === 0;
  }, 5000, 20);

describe.each(backends)('settings on %s', (backendName, open) => {
  let backend: Backend;
  let app: App;
  let users: Record<Exclude<Role, 'anonymous'>, TestUser>;
  const headers = (role: Role) => (role === 'anonymous' ? {} : users[role].headers);

  const update = async (input: { key: string; value?: string | null; valueJson?: unknown; module?: string | null }, role: Role = 'admin') =>
    execute(app, SettingsUpdate, { input }, headers(role));
  const updateOk = async (input: Parameters<typeof update>[0]) => {
    const result = await update(input);
    if (result.data?.updateSetting.__typename !== 'MutationUpdateSettingSuccess') throw new Error(JSON.stringify(result));
    return result.data.updateSetting.data;
  };

  beforeAll(async () => {
    backend = await open();
    app = createTestApp(backend);
    const owner = await signUp(app);
    const admin = await signUp(app);
    await grantRole(backend.database.prisma, admin.uuid, 'Admin');
    const user = await signUp(app);
    users = { owner, admin, user };
  });
  afterAll(async () => {
    await app.services.settings.close();
    await backend.close();
  });

  describe('reading', () => {
    test('a key with no row answers with its reference default, marked isDefault, without uuid or dates', async () => {
      const result = await execute(app, SettingsGet, { key: 'project_title' });
      expect(result.errors).toBeUndefined();
      expect(result.data?.setting).toMatchObject({
        key: 'project_title',
        value: 'PhoenixKit',
        valueJson: null,
        isDefault: true,
        uuid: null,
        module: null,
        dateAdded: null,
        dateUpdated: null,
      });
    });

    test('a seeded row is a stored setting; an unknown key is null', async () => {
      const seeded = await execute(app, SettingsGet, { key: 'date_format' });
      expect(seeded.data?.setting).toMatchObject({ value: 'Y-m-d', module: 'system', isDefault: false });
      expect(seeded.data?.setting?.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect((await execute(app, SettingsGet, { key: 'no_such_key' })).data?.setting).toBeNull();
      expect((await execute(app, SettingsGet, { key: '' })).data?.setting).toBeNull();
      expect((await execute(app, SettingsGet, { key: 'k'.repeat(300) })).data?.setting).toBeNull();
    });

    test('the list holds stored rows and the defaults of keys without a row, sorted by key, over 100 in one page', async () => {
      for (let i = 0; i < 40; i += 1) await app.services.settings.update({ key: `bulk_${String(i).padStart(3, '0')}`, value: 'x' });
      const result = await execute(app, SettingsList, { first: 500 }, headers('admin'));
      expect(result.data!.settings.pageInfo.hasNextPage).toBe(false);
      const nodes = result.data!.settings.edges.map((e) => e.node);
      expect(nodes.length).toBeGreaterThan(100);
      const keys = nodes.map((n) => n.key);
      expect(keys).toEqual([...keys].sort());
      expect(new Set(keys).size).toBe(keys.length);
      for (const key of Object.keys(SETTING_DEFAULTS)) expect(keys).toContain(key);
      expect(nodes.find((n) => n.key === 'comments_max_depth')).toMatchObject({ isDefault: false, module: 'comments' });
      expect(nodes.find((n) => n.key === 'remember_me_enabled')).toMatchObject({ isDefault: true, value: 'true' });
    });

    test('module filters to that module\'s stored rows', async () => {
      const result = await execute(app, SettingsList, { module: 'system', first: 50 });
      const nodes = result.data!.settings.edges.map((e) => e.node);
      expect(nodes.map((n) => n.key)).toEqual(['date_format', 'time_format', 'time_zone']);
      expect(nodes.every((n) => n.module === 'system' && !n.isDefault)).toBe(true);
    });

    test('pages forward and backward by key cursor without gaps or repeats', async () => {
      const all = (await execute(app, SettingsList, { first: 500 })).data!.settings.edges.map((e) => e.node.key);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = (await execute(app, SettingsList, { first: 7, after })).data!.settings;
        seen.push(...page.edges.map((e) => e.node.key));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor ?? undefined;
      }
      expect(seen).toEqual(all);
      const last = (await execute(app, SettingsList, { last: 3 })).data!.settings;
      expect(last.edges.map((e) => e.node.key)).toEqual(all.slice(-3));
      expect(last.pageInfo.hasPreviousPage).toBe(true);
      const before = (await execute(app, SettingsList, { last: 2, before: last.pageInfo.startCursor })).data!.settings;
      expect(before.edges.map((e) => e.node.key)).toEqual(all.slice(-5, -3));
    });

    test('a cursor this list never issued is BAD_USER_INPUT "Invalid cursor", not a page from an arbitrary point', async () => {
      for (const after of ['zzz', '', '!!', Buffer.from([0xff, 0xfe]).toString('base64url')]) {
        const page = await execute(app, SettingsList, { first: 5, after });
        expect(page.errors?.map((e) => [e.message, e.extensions?.code]), after).toEqual([['Invalid cursor', 'BAD_USER_INPUT']]);
      }
    });
  });

  describe('updateSetting', () => {
    test('an admin creates a row from a default; the Relay id stays, uuid and dates appear', async () => {
      const before = (await execute(app, SettingsGet, { key: 'week_start_day' })).data!.setting!;
      expect(before.isDefault).toBe(true);
      const saved = await updateOk({ key: 'week_start_day', value: '7', module: 'system' });
      expect(saved).toMatchObject({ id: before.id, key: 'week_start_day', value: '7', valueJson: null, module: 'system', isDefault: false });
      expect(saved.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(saved.dateAdded).not.toBeNull();
      const after = (await execute(app, SettingsGet, { key: 'week_start_day' })).data!.setting;
      expect(after).toMatchObject({ value: '7', isDefault: false, uuid: saved.uuid });
    });

    test('a row holds a string or JSON, never both: switching clears the other column', async () => {
      const key = `layout_${randomUUID().slice(0, 8)}`;
      const row = () => backend.database.prisma.setting.findUniqueOrThrow({ where: { key } });
      await updateOk({ key, value: 'plain' });
      expect(await row()).toMatchObject({ value: 'plain', valueJson: null });

      const json = { columns: 3, nested: { list: [1, 'two', null, true] }, text: 'ünïcødé 😀' };
      const saved = await updateOk({ key, valueJson: json });
      expect(saved).toMatchObject({ value: null, valueJson: json });
      expect(await row()).toMatchObject({ value: null, valueJson: json });
      expect((await execute(app, SettingsGet, { key })).data?.setting?.valueJson).toEqual(json);

      await updateOk({ key, value: 'plain again' });
      expect(await row()).toMatchObject({ value: 'plain again', valueJson: null });
    });

    test('module is set when given and kept when left out', async () => {
      const key = `mod_${randomUUID().slice(0, 8)}`;
      await updateOk({ key, value: 'a', module: 'shop' });
      await updateOk({ key, value: 'b' });
      expect(await backend.database.prisma.setting.findUniqueOrThrow({ where: { key } })).toMatchObject({ value: 'b', module: 'shop' });
      const listed = (await execute(app, SettingsList, { module: 'shop', first: 10 })).data!.settings.edges.map((e) => e.node.key);
      expect(listed).toContain(key);
    });

    test('unicode values round-trip exactly, up to 1000 code points', async () => {
      const values = [
        '😀'.repeat(1000),
        'e\u0301 — שלום — ﷽ — 👨‍👩‍👧‍👦',
        '\u202Eright-to-left override',
        'line one\nline two\ttabbed',
      ];
      for (const value of values) {
        const saved = await updateOk({ key: 'project_title', value });
        expect(saved.value).toBe(value);
        expect((await execute(app, SettingsGet, { key: 'project_title' })).data?.setting?.value).toBe(value);
      }
      expect(await app.services.settings.remove('project_title')).toBe(true);
      expect((await execute(app, SettingsGet, { key: 'project_title' })).data?.setting).toMatchObject({ value: 'PhoenixKit', isDefault: true });
    });

    test.each<[string, { key: string; value?: string | null; valueJson?: unknown; module?: string | null }, string]>([
      ['empty key', { key: '', value: 'x' }, 'key'],
      ['256-character key', { key: 'k'.repeat(256), value: 'x' }, 'key'],
      ['upper-case key', { key: 'Project_Title', value: 'x' }, 'key'],
      ['homoglyph key (Cyrillic а)', { key: 'аllow_registration', value: 'false' }, 'key'],
      ['zero-width space in key', { key: 'allow\u200Bregistration', value: 'false' }, 'key'],
      ['both value and valueJson', { key: 'project_title', value: 'x', valueJson: { a: 1 } }, 'value'],
      ['neither value nor valueJson', { key: 'project_title' }, 'value'],
      ['explicit nulls for both', { key: 'project_title', value: null, valueJson: null }, 'value'],
      ['blank value for a required key', { key: 'project_title', value: '' }, 'value'],
      ['1001 characters', { key: 'project_title', value: 'x'.repeat(1001) }, 'value'],
      ['1001 astral characters', { key: 'project_title', value: '😀'.repeat(1001) }, 'value'],
      ['NUL character', { key: 'project_title', value: 'a\u0000b' }, 'value'],
      ['lone surrogate', { key: 'project_title', value: 'a\uD800b' }, 'value'],
      ['"yes" for a boolean key', { key: 'allow_registration', value: 'yes' }, 'value'],
      ['full-width digits for an integer key', { key: 'comments_max_depth', value: '１０' }, 'value'],
      ['out-of-range integer', { key: 'week_start_day', value: '0' }, 'value'],
      ['offset beyond +14 for time_zone', { key: 'time_zone', value: '+15' }, 'value'],
      ['unlisted date_format', { key: 'date_format', value: 'Y/m/d' }, 'value'],
      ['JSON array', { key: 'layout', valueJson: [1, 2, 3] }, 'valueJson'],
      ['JSON string', { key: 'layout', valueJson: 'text' }, 'valueJson'],
      ['JSON number', { key: 'layout', valueJson: 42 }, 'valueJson'],
      ['JSON for a boolean key', { key: 'allow_registration', valueJson: { enabled: false } }, 'valueJson'],
      ['NUL inside JSON', { key: 'layout', valueJson: { s: 'a\u0000' } }, 'valueJson'],
      ['oversize JSON', { key: 'layout', valueJson: { s: 'x'.repeat(70_000) } }, 'valueJson'],
      ['JSON nested 21 deep', { key: 'layout', valueJson: JSON.parse(`${'{"n":'.repeat(20)}{}${'}'.repeat(20)}`) }, 'valueJson'],
      ['invalid module', { key: 'layout', value: 'x', module: 'Shop Front' }, 'module'],
    ])('refuses %s with a ValidationError and changes no row', async (_name, input, path) => {
      const before = await settingsRows(backend);
      const result = await update(input, 'owner');
      expect(result.errors).toBeUndefined();
      const payload = result.data?.updateSetting;
      expect(payload?.__typename).toBe('ValidationError');
      if (payload?.__typename !== 'ValidationError') return;
      expect(payload.code).toBe('VALIDATION_FAILED');
      expect(payload.issues.map((i) => i.path)).toContain(path);
      expect(await settingsRows(backend)).toEqual(before);
    });

    test('a value of the wrong GraphQL type is refused before resolving and changes no row', async () => {
      const before = await settingsRows(backend);
      const result = await execute(app, SettingsUpdate, { input: { key: 'comments_max_depth', value: 12 as unknown as string } }, headers('admin'));
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.message).toMatch(/String cannot represent a non string value/);
      expect(await settingsRows(backend)).toEqual(before);
    });

    test.each<[Role, string | null]>([
      ['anonymous', 'UNAUTHENTICATED'],
      ['user', 'FORBIDDEN'],
      ['admin', null],
      ['owner', null],
    ])('as %s: %s', async (role, code) => {
      const value = `title by ${role}`;
      const before = await settingsRows(backend);
      const result = await update({ key: 'site_url', value }, role);
      if (code) {
        expect(result.errors?.[0]?.extensions?.code).toBe(code);
        expect(result.data?.updateSetting ?? null).toBeNull();
        expect(await settingsRows(backend)).toEqual(before);
      } else {
        expect(result.data?.updateSetting.__typename).toBe('MutationUpdateSettingSuccess');
        expect((await backend.database.prisma.setting.findUniqueOrThrow({ where: { key: 'site_url' } })).value).toBe(value);
      }
    });
  });

  describe('restricted keys', () => {
    const integrationKey = randomUUID();
    const secrets = {
      oauth_google_client_secret: 'google-s3cret-value',
      aws_secret_access_key: 'aws-s3cret-value',
      aws_access_key_id: 'AKIAS3CRETVALUE',
      smtp_password: 'smtp-s3cret-value',
      stripe_api_key: 'stripe-s3cret-value',
    };

    beforeAll(async () => {
      for (const [key, value] of Object.entries(secrets)) await updateOk({ key, value });
      await updateOk({ key: integrationKey, module: 'integrations', valueJson: { provider: 'smtp', token: 'integration-s3cret-value' } });
      await updateOk({ key: 'oauth_google_client_id', value: 'public-client-id' });
    });

    test.each(ROLES)('as %s', async (role) => {
      const privileged = role === 'admin' || role === 'owner';
      for (const [key, value] of Object.entries(secrets)) {
        const result = await execute(app, SettingsGet, { key }, headers(role));
        expect(result.errors).toBeUndefined();
        expect(result.data?.setting?.value ?? null).toBe(privileged ? value : null);
      }
      const integration = (await execute(app, SettingsGet, { key: integrationKey }, headers(role))).data?.setting;
      expect(integration?.valueJson ?? null).toEqual(privileged ? { provider: 'smtp', token: 'integration-s3cret-value' } : null);
      expect((await execute(app, SettingsGet, { key: 'oauth_google_client_id' }, headers(role))).data?.setting?.value).toBe('public-client-id');

      const list = await execute(app, SettingsList, { first: 500 }, headers(role));
      const listed = list.data!.settings.edges.map((e) => e.node.key);
      expect(listed).toContain('oauth_google_client_id');
      for (const key of [...Object.keys(secrets), integrationKey]) expect(listed.includes(key)).toBe(privileged);
      const integrations = await execute(app, SettingsList, { module: 'integrations', first: 10 }, headers(role));
      expect(integrations.data!.settings.edges.length).toBe(privileged ? 1 : 0);

      const everything = JSON.stringify([list, integrations]);
      expect(everything.includes('s3cret')).toBe(privileged);
    });
  });

  describe('cache', () => {
    test('get and getBoolean read the database once per key, until a write invalidates it', async () => {
      const settings = app.services.settings;
      await untilCached(backend, () => settings.get('comments_max_length'));
      backend.queries.length = 0;
      for (let i = 0; i < 5; i += 1) {
        expect(await settings.get('comments_max_length')).toBe('10000');
        expect(await settings.getBoolean('comments_enabled')).toBe(false);
      }
      expect(settingsStatements(backend)).toBe(1); // comments_enabled: the first read; comments_max_length was warm

      await execute(app, SettingsGet, { key: 'comments_max_length' });
      expect(settingsStatements(backend)).toBe(1);

      await updateOk({ key: 'comments_max_length', value: '500' });
      backend.queries.length = 0;
      expect(await settings.get('comments_max_length')).toBe('500');
      expect(await settings.get('comments_max_length')).toBe('500');
      expect(settingsStatements(backend)).toBe(1);
    });

    test('absent keys are cached too, and concurrent misses share one statement', async () => {
      const key = `absent_${randomUUID().slice(0, 8)}`;
      backend.queries.length = 0;
      const values = await Promise.all(Array.from({ length: 10 }, () => app.services.settings.get(key)));
      expect(values).toEqual(Array(10).fill(null));
      expect(await app.services.settings.get(key)).toBeNull();
      expect(settingsStatements(backend)).toBe(1);
    });

    test('other services read settings through the cache (registrations)', async () => {
      await signUp(app);
      backend.queries.length = 0;
      for (let i = 0; i < 3; i += 1) await signUp(app);
      expect(settingsStatements(backend)).toBe(0);
    });

    test('without a notification, a change made behind the service shows after the TTL', async () => {
      const settings = createSettingsService({ db: backend.database, log: silentLog, ttlMs: 300 });
      try {
        const key = `ttl_${randomUUID().slice(0, 8)}`;
        await settings.update({ key, value: 'before' });
        await untilCached(backend, () => settings.get(key));
        expect(await settings.get(key)).toBe('before');
        await backend.database.sql.query(`UPDATE phoenix_kit_settings SET value = 'after' WHERE key = $1`, [key]);
        expect(await settings.get(key)).toBe('before');
        const waited = await until(async () => (await settings.get(key)) === 'after', 2000);
        expect(waited).toBeLessThan(1000);
      } finally {
        await settings.close();
      }
    });
  });

  describe('effective time zone', () => {
    const setUserTimezone = (uuid: string, userTimezone: string | null) =>
      backend.database.prisma.user.update({ where: { uuid }, data: { userTimezone } });
    const meTimezone = async (role: Exclude<Role, 'anonymous'>) =>
      (await execute(app, SettingsMe, {}, headers(role))).data?.me?.effectiveTimezone;

    test('user → setting time_zone → UTC', async () => {
      await setUserTimezone(users.user.uuid, null);
      expect(await meTimezone('user')).toBe('UTC');

      await updateOk({ key: 'time_zone', value: '5.5' });
      expect(await meTimezone('user')).toBe('+05:30');

      await setUserTimezone(users.user.uuid, 'Europe/Tallinn');
      expect(await meTimezone('user')).toBe('Europe/Tallinn');

      await setUserTimezone(users.user.uuid, '-3.5');
      expect(await meTimezone('user')).toBe('-03:30');

      await setUserTimezone(users.user.uuid, 'Nowhere/Atlantis');
      expect(await meTimezone('user')).toBe('+05:30');

      await app.services.settings.remove('time_zone');
      await setUserTimezone(users.user.uuid, null);
      expect(await meTimezone('user')).toBe('UTC');
      expect((await execute(app, SettingsMe, {})).data?.me).toBeNull();
    });

    test('effectiveTimezone on a users page adds no SQL statement (the setting comes from the cache)', async () => {
      await updateOk({ key: 'time_zone', value: '-8' });
      await app.services.settings.get('time_zone');
      backend.queries.length = 0;
      await execute(app, SettingsUsersPlain, {}, headers('admin'));
      const plain = backend.queries.length;
      backend.queries.length = 0;
      const result = await execute(app, SettingsUsersTimezones, {}, headers('admin'));
      const zones = result.data!.users.edges.map((e) => e.node.effectiveTimezone);
      expect(zones.length).toBeGreaterThanOrEqual(4);
      expect(zones).toContain('-08:00');
      expect(settingsStatements(backend)).toBe(0);
      expect(backend.queries.length).toBe(plain);
    });
  });

  if (backendName === 'postgres') {
    describe('two server processes on one database', () => {
      let second: { app: App; backend: Backend };

      beforeAll(async () => {
        const queries: string[] = [];
        const database = await openPostgres(backend.database.url!, 2, { prefix: 'public', log: (e) => queries.push(e.query) });
        const other: Backend = withCleanups({ database, queries, close: () => database.close() });
        second = { app: createTestApp(other), backend: other };
      });
      afterAll(() => second.backend.close());

      const readIn = async (target: App, key: string) => (await execute(target, SettingsGet, { key })).data?.setting?.value;
      /** Reads until the second process answers from its cache (the writer's notification may land after a first read). */
      const warmSecond = (key: string) => untilCached(second.backend, () => readIn(second.app, key));

      test('a write in one is seen by the other through LISTEN/NOTIFY, well inside the TTL', async () => {
        const key = `shared_${randomUUID().slice(0, 8)}`;
        await updateOk({ key, value: 'one' });
        expect(await readIn(second.app, key)).toBe('one');
        await warmSecond(key);
        second.backend.queries.length = 0;
        expect(await readIn(second.app, key)).toBe('one');
        expect(settingsStatements(second.backend)).toBe(0); // cached in the second process

        await updateOk({ key, value: 'two' });
        const waited = await until(async () => (await readIn(second.app, key)) === 'two', 2000);
        expect(waited).toBeLessThan(1000);
      });

      test('after the listener connections are killed, both reconnect and keep invalidating', async () => {
        const listeners = async () =>
          Number(
            (
              await backend.database.sql.query<{ n: string }>(
                `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
                [LISTENER_APPLICATION_NAME],
              )
            )[0]?.n,
          );
        expect(await listeners()).toBe(2);
        const key = `reconnect_${randomUUID().slice(0, 8)}`;
        await updateOk({ key, value: 'one' });
        expect(await readIn(second.app, key)).toBe('one');

        await backend.database.sql.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
          [LISTENER_APPLICATION_NAME],
        );
        // while disconnected the second process reads through, so the change is never missed
        await updateOk({ key, value: 'two' });
        await until(async () => (await readIn(second.app, key)) === 'two', 2000);

        await until(async () => (await listeners()) === 2, 10_000, 50);
        await warmSecond(key);
        await updateOk({ key, value: 'three' });
        const waited = await until(async () => (await readIn(second.app, key)) === 'three', 2000);
        expect(waited).toBeLessThan(1000);
      });
    });
  }
});
