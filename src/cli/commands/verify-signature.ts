import type { Command } from 'commander';
import { EXIT_BAD_INPUT, fail, readStdin, verdict } from '../output.js';

export function register(program: Command): void {
  program
    .command('verify-signature')
    .description(
      'verify one Plexi SignatureResponse JSON (a file, or standard input): exit 0 valid, 1 invalid, 2 bad input',
    )
    .requiredOption('--key <hex>', "the auditor's 32-byte Ed25519 public key, hex")
    .option('--json', 'print the verdict as JSON')
    .argument('[file]', 'the SignatureResponse JSON; - or nothing for standard input', '-')
    .action(async (file: string, opts: { key: string; json?: boolean }) => {
      const { readFileSync, statSync } = await import('node:fs');
      const { fromHex } = await import('../../util/bytes.js');
      const { parseJson } = await import('../../util/json.js');
      const { signatureResponseFromJson } = await import('../../plexi/signature-response.js');
      const { verifySignatureResponse } = await import('../../plexi/verify-response.js');
      let key: Uint8Array;
      let response;
      try {
        key = fromHex(opts.key.trim(), 32, '--key');
        if (file !== '-' && statSync(file).size > 1 << 20) throw new Error(`${file} is larger than ${1 << 20} bytes`);
        const text = file === '-' ? await readStdin() : readFileSync(file, 'utf8');
        response = signatureResponseFromJson(parseJson(text));
      } catch (err) {
        fail(EXIT_BAD_INPUT, `bad input: ${(err as Error).message}`);
      }
      const check = verifySignatureResponse(response, key);
      const details = { namespace: response.namespace, epoch: response.epoch, key: opts.key.trim().toLowerCase() };
      if (!check.ok) verdict(false, check.reason, { json: opts.json, details });
      verdict(true, `epoch ${response.epoch} of ${response.namespace} signed by ${details.key}`, {
        json: opts.json,
        details,
      });
    });
}
