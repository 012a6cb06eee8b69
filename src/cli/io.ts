/** Text sinks for commands; tests pass collectors, the binary passes process streams. */
export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const processIO: CommandIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

export interface Command {
  name: string;
  summary: string;
  run(args: string[], io: CommandIO): Promise<number>;
}
