import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import type { Mailer } from '../../src/modules/mail/mailer.js';
import { createServices } from '../../src/services.js';
import { graphql } from '../gql/index.js';
import type { Backend } from './backends.js';
import { execute } from './execute.js';

export const silentLog = pino({ level: 'silent' });

/** Test configuration: a fixed secret and, unless given, a fresh data folder (local buckets live under it). */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TRUST_PROXY: 'true',
    JOBS_POLL_SECONDS: '0.5',
    SECRET_KEY_BASE: 'test-secret-key-base-that-is-long-enough-0123456789',
    ...env,
    DATA_DIR: env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'pk-data-')),
  });
}

/** What runs before the GraphQL layer reads one row of `model` (e.g. "Role") by a unique key. */
export type BeforeUniqueRead = (model: string, where: unknown) => Promise<void>;

/**
 * The real app over a test database; `mailer` captures mail when a test reads it. With `beforeUniqueRead`, resolvers
 * (not services) wait for it before each unique read: a test puts a simultaneous write exactly between a mutation's
 * commit and the re-read of its answer.
 */
export function createTestApp(
  backend: Backend,
  opts: { env?: Record<string, string>; mailer?: Mailer; beforeUniqueRead?: BeforeUniqueRead } = {},
): App {
  // a data folder of its own unless the test gives one: removed with the backend
  const ownDataDir = opts.env?.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'pk-data-')) : null;
  const config = testConfig({ ...opts.env, ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}) });
  const services = createServices({ db: backend.database, config, log: silentLog, mailer: opts.mailer });
  backend.onClose(async () => {
    await services.close();
    if (ownDataDir) await rm(ownDataDir, { recursive: true, force: true });
  });
  const before = opts.beforeUniqueRead;
  const prisma = before
    ? (backend.database.prisma.$extends({
        query: {
          $allModels: {
            async $allOperations({ model, operation, args, query }) {
              if (operation === 'findUnique' || operation === 'findUniqueOrThrow') await before(model, (args as { where?: unknown }).where);
              return query(args);
            },
          },
        },
      }) as unknown as Db)
    : backend.database.prisma;
  return createApp({ db: { ...backend.database, prisma }, log: silentLog, config, services });
}

const RegisterDocument = graphql(`
  mutation HelperRegister($input: RegisterInput!) {
    register(input: $input) {
      __typename
      ... on MutationRegisterSuccess { data { token user { uuid email username } } }
      ... on Error { message code }
    }
  }
`);

export type TestUser = { uuid: string; email: string; password: string; token: string; headers: Record<string, string> };

export const uniqueEmail = (label = 'u') => `${label}-${randomUUID()}@test.local`;

/** Registers through GraphQL and returns the session; throws when registration did not succeed. */
export async function signUp(app: App, input: { email?: string; password?: string; username?: string } = {}): Promise<TestUser> {
  const email = input.email ?? uniqueEmail();
  const password = input.password ?? 'correct horse battery';
  const result = await execute(app, RegisterDocument, { input: { email, password, username: input.username } });
  const register = result.data?.register;
  if (register?.__typename !== 'MutationRegisterSuccess') {
    throw new Error(`registration failed: ${JSON.stringify(result)}`);
  }
  const { token, user } = register.data;
  return { uuid: user.uuid, email, password, token, headers: { authorization: `Bearer ${token}` } };
}

/** Fixture shortcut: gives `userUuid` a role directly in the database. */
export async function grantRole(db: Db, userUuid: string, roleName: string): Promise<void> {
  const role = await db.role.findUniqueOrThrow({ where: { name: roleName } });
  await db.roleAssignment.upsert({
    where: { userUuid_roleUuid: { userUuid, roleUuid: role.uuid } },
    create: { userUuid, roleUuid: role.uuid },
    update: { isActive: true },
  });
}
