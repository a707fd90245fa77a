import type { Command } from 'commander';

/** Registers `wsmig server`. */
export function registerServerCommand(program: Command): void {
  void program;
}
