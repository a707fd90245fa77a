/**
 * The `wsmig` command line. Parses options, calls a module, maps its outcome to an exit code.
 * This is the only place in wsmig that ends the process.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, isWsmigError, messageOf } from '../lib/errors.js';
import { packageVersion } from '../lib/package-info.js';
import { registerCommands } from './commands/index.js';

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = new Command('wsmig')
    .description('Take a real-time feature from Server-Sent Events to WebSocket safely.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
    });
  registerCommands(program);
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    return exitCodeFor(error);
  }
}

/** Prints an error the way a user can act on, and returns its exit code. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message; help and version are successes.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage;
  }
  if (isWsmigError(error)) {
    process.stderr.write(`wsmig: ${error.message}\n`);
    if (error.cause !== undefined && process.env['WSMIG_DEBUG']) process.stderr.write(`cause: ${messageOf(error.cause)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`wsmig: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.failure;
}

const code = await main();
// Let pending stderr/stdout writes flush; long-running commands (server, watch) never get here
// until they are done.
process.exitCode = code;
