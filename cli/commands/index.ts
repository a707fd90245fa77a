import type { Command } from 'commander';
import { registerClientCommand } from './client.js';
import { registerCodemodCommand } from './codemod.js';
import { registerLoadCommand } from './load.js';
import { registerMigrateCommand } from './migrate.js';
import { registerReportCommand } from './report.js';
import { registerRollbackCommand } from './rollback.js';
import { registerServerCommand } from './server.js';
import { registerWatchCommand } from './watch.js';

/** Adds every `wsmig` subcommand to the program. One file per command under cli/commands/. */
export function registerCommands(program: Command): void {
  registerServerCommand(program);
  registerClientCommand(program);
  registerReportCommand(program);
  registerLoadCommand(program);
  registerMigrateCommand(program);
  registerRollbackCommand(program);
  registerWatchCommand(program);
  registerCodemodCommand(program);
}
