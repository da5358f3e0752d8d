// Runs `prisma generate` offline. Generation needs no schema engine, but the CLI insists on finding one and would
// otherwise try to download it; any executable satisfies the check, so point it at a harmless stub.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = join(tmpdir(), 'phoenixkit-prisma-stub');
const stub = join(dir, 'schema-engine');
mkdirSync(dir, { recursive: true });
writeFileSync(stub, '#!/bin/sh\necho "schema engine not available: the migration chain owns the schema" >&2\nexit 1\n');
chmodSync(stub, 0o755);

const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], {
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
});
process.exit(result.status ?? 1);
