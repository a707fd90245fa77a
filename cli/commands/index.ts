import type { Command } from 'commander';
import { registerClientCommand } from './client.js';
import { registerServerCommand } from './server.js';

/** Adds every `wsmig` subcommand to the program. One file per command under cli/commands/. */
export function registerCommands(program: Command): void {
  registerServerCommand(program);
  registerClientCommand(program);
}
