/** The shape every `cardtrust` subcommand has, so help, parsing and dispatch are uniform. */
import type { OptionSpec, ParsedArgs } from './args.js';
import type { ExitCode } from './errors.js';

/** Where a command writes and what environment it sees (injectable for in-process use). */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Command {
  /** e.g. ['ca', 'init'], or one word for a command without subcommands (['daemon']) */
  readonly path: readonly [string, string] | readonly [string];
  /** One line for the command list. */
  readonly summary: string;
  /** Full `--help` text (usage line, description, options, example). */
  readonly help: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly positionals: { readonly min: number; readonly max: number };
  run(args: ParsedArgs, io: CliIo): Promise<ExitCode>;
}
