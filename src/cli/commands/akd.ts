import type { Command } from 'commander';

/** `chorus akd …`: AKD proof tools (filled in by the AKD work). */
export function register(program: Command): void {
  program.command('akd').description('AKD append-only proof tools');
}
