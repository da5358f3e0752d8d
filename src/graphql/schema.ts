import type { GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './error-types.js';
import '../modules/rate-limit/rate-limit.graphql.js';
import '../modules/auth/auth.graphql.js';
import '../modules/auth/account-tokens.graphql.js';
import '../modules/roles/role.graphql.js';
import '../modules/users/user.graphql.js';
import '../modules/users/user-admin.graphql.js';
import '../modules/users/profile.graphql.js';
import '../modules/settings/setting.graphql.js';
import '../modules/audit/audit.graphql.js';
import '../modules/files/bucket.graphql.js';
import '../modules/files/file.graphql.js';
import '../modules/files/file-mutations.graphql.js';
import '../modules/tiles/tile.graphql.js';
import '../modules/media/file-events.graphql.js';
import '../modules/media/media.graphql.js';
import '../modules/dimensions/dimension.graphql.js';
import '../modules/entities/entity.graphql.js';
import '../modules/entities/entity-data.graphql.js';
import '../modules/comments/comment.graphql.js';
import '../modules/comments/comment-media.graphql.js';

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

let schema: GraphQLSchema | undefined;

/** The executable schema, built once per process. */
export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}
