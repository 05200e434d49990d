import type { Command } from 'commander';
import { EXIT_BAD_INPUT, EXIT_INVALID, EXIT_OK, fail, readStdin } from '../output.js';

export function register(program: Command): void {
  program
    .command('verify-signature')
    .description('verify one Plexi SignatureResponse JSON read from stdin: exit 0 valid, 1 invalid, 2 bad input')
    .requiredOption('--key <hex>', 'the auditor\'s 32-byte Ed25519 public key, hex')
    .action(async (opts: { key: string }) => {
      const { fromHex } = await import('../../util/bytes.js');
      const { parseJson } = await import('../../util/json.js');
      const { signatureResponseFromJson } = await import('../../plexi/signature-response.js');
      const { verifySignatureResponse } = await import('../../plexi/verify-response.js');
      let key: Uint8Array;
      let response;
      try {
        key = fromHex(opts.key.trim(), 32, '--key');
        response = signatureResponseFromJson(parseJson(await readStdin()));
      } catch (err) {
        fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
      }
      const check = verifySignatureResponse(response, key);
      if (!check.ok) fail(EXIT_INVALID, `invalid: ${check.reason}`);
      process.stderr.write(`valid: epoch ${response.epoch} of ${response.namespace} signed by ${opts.key.trim().toLowerCase()}\n`);
      process.exit(EXIT_OK);
    });
}
