import type { Command } from 'commander';

/** Registers `wsmig client`. */
export function registerClientCommand(program: Command): void {
  void program;
}
