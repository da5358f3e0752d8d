import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { FileUpload } from 'graphql-upload-minimal';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import type { Context, Viewer } from './context.js';
import { fieldCost } from './query-limits.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  AuthScopes: { viewer: boolean; admin: boolean; owner: boolean; permission: string };
  AuthContexts: { viewer: Context & { viewer: Viewer } };
  Scalars: {
    UUID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Upload: { Input: Promise<FileUpload>; Output: never };
  };
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  // each field's cost only; useQueryLimits measures the whole operation once before it runs (not per root field)
  complexity: { disabled: true, fieldComplexity: (args, _ctx, field) => fieldCost(field, args) },
  scopeAuth: {
    authScopes: (ctx) => ({
      viewer: ctx.viewer !== null,
      admin: ctx.viewer?.isAdmin ?? false,
      owner: ctx.viewer?.isOwner ?? false,
      permission: (key) => ctx.viewer?.permissions.has(key) || ctx.viewer?.permissions.has('*') || false,
    }),
    unauthorizedError: (_parent, context) =>
      context.viewer
        ? new GraphQLError('Not allowed', { extensions: { code: 'FORBIDDEN' } })
        : new GraphQLError('Sign in required', { extensions: { code: 'UNAUTHENTICATED' } }),
  },
  errors: { defaultTypes: [] },
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'error',
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // node(id)/nodes(ids) would bypass per-field authorization; they come with per-type auth checks later
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});
