import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, type ExecutionResult } from 'graphql';
import type { App } from '../../src/app.js';
import type { Db } from '../../src/db/database.js';
import { createTestApp, grantRole, signUp, type TestUser } from './accounts.js';
import type { Backend, BackendFactory } from './backends.js';
import { execute } from './execute.js';

// untyped documents (the typed ones under test/gql are generated from existing tests only)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;
export const gql = (text: string) => parse(text) as unknown as TypedDocumentNode<Any, Any>;

export type World = { backend: Backend; app: App; db: Db; admin: TestUser; editor: TestUser; alice: TestUser; bob: TestUser };

export async function openWorld(open: BackendFactory): Promise<World> {
  const backend = await open();
  const app = createTestApp(backend);
  const db = backend.database.prisma;
  await signUp(app); // the first user is the Owner
  const admin = await signUp(app);
  const editor = await signUp(app);
  const alice = await signUp(app);
  const bob = await signUp(app);
  await grantRole(db, admin.uuid, 'Admin');
  const role = await db.role.create({ data: { name: `Editors-${randomUUID().slice(0, 8)}`, permissions: { create: { moduleKey: 'entities' } } } });
  await db.roleAssignment.create({ data: { userUuid: editor.uuid, roleUuid: role.uuid } });
  await app.services.settings.update({ key: 'entities_enabled', value: 'true' });
  await app.services.settings.update({ key: 'comments_enabled', value: 'true' });
  return { backend, app, db, admin, editor, alice, bob };
}

export const run = (w: World, text: string, variables: Record<string, unknown>, user: TestUser | null): Promise<ExecutionResult<Any>> =>
  execute(w.app, gql(text), variables, user?.headers ?? {});

export const uniqueName = (prefix = 'e') => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

export async function createEntity(w: World, fields: unknown[], by: TestUser = w.admin, status = 'published') {
  const name = uniqueName();
  const r = await run(
    w,
    `mutation($input: CreateEntityInput!) { createEntity(input: $input) { __typename ... on MutationCreateEntitySuccess { data { uuid name } } ... on ValidationError { issues { path message } } ... on Error { code message } } }`,
    { input: { name, displayName: 'Things', displayNamePlural: 'Things', status, fields } },
    by,
  );
  if (r.data?.createEntity?.__typename !== 'MutationCreateEntitySuccess') throw new Error(JSON.stringify(r));
  return r.data.createEntity.data as { uuid: string; name: string };
}

export const CREATE_DATA = `mutation($input: CreateEntityDataInput!) { createEntityData(input: $input) {
  __typename
  ... on MutationCreateEntityDataSuccess { data { uuid title slug status data position parentUuid } }
  ... on ValidationError { issues { path message } }
  ... on Error { code message } } }`;

export const UPDATE_DATA = `mutation($input: UpdateEntityDataInput!) { updateEntityData(input: $input) {
  __typename
  ... on MutationUpdateEntityDataSuccess { data { uuid title slug status data position parentUuid } }
  ... on ValidationError { issues { path message } }
  ... on Error { code message } } }`;

export const CREATE_COMMENT = `mutation($input: CreateCommentInput!) { createComment(input: $input) {
  __typename
  ... on MutationCreateCommentSuccess { data { uuid body depth status media { uuid position fileUuid } } }
  ... on ValidationError { issues { path message } }
  ... on Error { code message } } }`;

export type FileOptions = { ext?: string; mimeType?: string; fileType?: string; size?: number; status?: string };

/** A file row without bytes (a PNG image unless told otherwise). */
export function makeFile(db: Db, userUuid: string, o: FileOptions = {}) {
  const ext = o.ext ?? 'png';
  return db.file.create({
    data: {
      originalFileName: `f-${randomUUID().slice(0, 8)}.${ext}`,
      fileName: `${randomUUID()}.${ext}`,
      mimeType: o.mimeType ?? 'image/png',
      fileType: o.fileType ?? 'image',
      ext,
      fileChecksum: randomUUID(),
      userFileChecksum: randomUUID(),
      size: BigInt(o.size ?? 1000),
      userUuid,
      status: o.status ?? 'active',
    },
  });
}

export function outcomeOf(result: ExecutionResult<Any>): string {
  const code = result.errors?.[0]?.extensions?.code;
  if (typeof code === 'string') return code;
  const payload = Object.values((result.data ?? {}) as Record<string, { __typename?: string } | null>)[0];
  return payload?.__typename?.endsWith('Success') ? 'ok' : String(payload?.__typename);
}
