import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the tests: every graphql(`…`) call under test/ is checked against schema.graphql.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/**/*.ts', '!test/gql/**'],
  ignoreNoDocuments: true,
  generates: {
    'test/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        emitLegacyCommonJSImports: false,
        enumsAsTypes: true,
        scalars: { UUID: 'string', DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
  silent: true,
};

export default config;
