import { defineConfig } from 'prisma/config';

// Only `prisma generate` uses this: the schema itself is owned by our migration chain (src/db/migrations).
export default defineConfig({
  schema: 'prisma/schema.prisma',
});
