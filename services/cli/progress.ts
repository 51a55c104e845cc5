/**
 * Live progress of one or more objects. On a terminal: one ora spinner whose text lists
 * every object still in progress, with a persisted ✔/✖ line as each one finishes.
 * Elsewhere (pipes, CI, tests): a plain line whenever an object's state changes, so logs
 * stay readable and free of control characters.
 */
import ora, { type Ora } from 'ora';

export interface Progress {
  /** The current state of one item; printed (plain mode) only when it changed. */
  update(key: string, text: string): void;
  /** The item is finished; its final line is always printed. */
  done(key: string, outcome: 'succeeded' | 'failed', text: string): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly stream: NodeJS.WriteStream;
  /** Spinner when true; plain lines when false. */
  readonly live: boolean;
  /** Plain mode only: print final lines but no intermediate states. */
  readonly quiet?: boolean;
}

export function createProgress(options: ProgressOptions): Progress {
  return options.live ? new SpinnerProgress(options.stream) : new LineProgress(options.stream, options.quiet ?? false);
}

class LineProgress implements Progress {
  private readonly last = new Map<string, string>();
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly quiet: boolean,
  ) {}

  update(key: string, text: string): void {
    if (this.last.get(key) === text) return;
    this.last.set(key, text);
    if (!this.quiet) this.stream.write(`${key}: ${text}\n`);
  }

  done(key: string, _outcome: 'succeeded' | 'failed', text: string): void {
    this.last.delete(key);
    this.stream.write(`${key}: ${text}\n`);
  }

  stop(): void {}
}

class SpinnerProgress implements Progress {
  private readonly pending = new Map<string, string>();
  private readonly spinner: Ora;

  constructor(stream: NodeJS.WriteStream) {
    this.spinner = ora({ stream, discardStdin: false, hideCursor: true });
  }

  private text(): string {
    return [...this.pending].map(([key, text]) => `${key}: ${text}`).join('\n');
  }

  update(key: string, text: string): void {
    this.pending.set(key, text);
    this.spinner.text = this.text();
    if (!this.spinner.isSpinning) this.spinner.start();
  }

  done(key: string, outcome: 'succeeded' | 'failed', text: string): void {
    this.pending.delete(key);
    const line = `${key}: ${text}`;
    if (this.spinner.isSpinning) this.spinner.stop();
    if (outcome === 'succeeded') this.spinner.succeed(line);
    else this.spinner.fail(line);
    if (this.pending.size > 0) this.spinner.start(this.text());
  }

  stop(): void {
    if (this.spinner.isSpinning) this.spinner.stop();
  }
}
