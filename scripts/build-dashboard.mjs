#!/usr/bin/env node
// Bundles the dashboard's browser code (src/api/dashboard/) into dist/dashboard/ with esbuild.
// Filled in by the dashboard work; until then it only creates the folder.
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'dist', 'dashboard'), { recursive: true });
