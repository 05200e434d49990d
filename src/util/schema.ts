// Shared zod building blocks for JSON that went through parseJson (integers are bigint).
import { z } from 'zod';
import { U64_MAX } from './u64.js';

export const u64 = z
  .bigint({ error: 'must be an unsigned 64-bit integer' })
  .min(0n, { error: 'must not be negative' })
  .max(U64_MAX, { error: 'must be at most 2^64-1' });

export const u32 = z.bigint({ error: 'must be an integer' }).min(0n).max(0xffffffffn);
export const u8 = z.bigint({ error: 'must be an integer' }).min(0n).max(255n);

export function hexBytes(length: number) {
  return z
    .string({ error: 'must be a hex string' })
    .regex(/^[0-9a-fA-F]*$/, { error: 'must be hex' })
    .refine((s) => s.length === length * 2, { error: `must be ${length} bytes (${length * 2} hex digits)` });
}

/** Human-readable one-line summary of a zod error, naming the field. */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}
