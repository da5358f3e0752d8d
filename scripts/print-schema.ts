// Prints the GraphQL schema built from the code into schema.graphql (committed; CI fails when it drifts).
import { writeFileSync } from 'node:fs';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { getSchema } from '../src/graphql/schema.js';

const text = `${printSchema(lexicographicSortSchema(getSchema()))}\n`;
const target = new URL('../schema.graphql', import.meta.url);
writeFileSync(target, text);
console.log(`wrote ${target.pathname} (${text.split('\n').length} lines)`);
