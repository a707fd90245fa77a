import type { Command } from 'commander';
import { registerClientCommand } from './client.js';
import { registerLoadCommand } from './load.js';
import { registerReportCommand } from './report.js';
import { registerServerCommand } from './server.js';

/** Adds every `wsmig` subcommand to the program. One file per command under cli/commands/. */
export function registerCommands(program: Command): void {
  registerServerCommand(program);
  registerClientCommand(program);
  registerReportCommand(program);
  registerLoadCommand(program);
}
