import { randomBytes } from 'node:crypto';

/** A sortable, unique id for one run (a load test, a migration command): `20260115T102030Z-3f9a2c`. */
export function newRunId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}
