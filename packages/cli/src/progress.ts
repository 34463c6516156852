/**
 * A one-line progress bar on a terminal (the caller only makes one when stderr is a TTY, so pipes
 * and files never receive control characters).
 */
/** What the bar needs of a terminal stream (process.stderr is one). */
export interface ProgressStream {
  columns?: number | undefined;
  write(s: string): unknown;
}

export class Progress {
  private readonly started = Date.now();
  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
  ) {}

  /** Shows `done` of `total` finished, working on `label`. */
  update(done: number, label: string): void {
    const cols = this.stream.columns || 80;
    const width = Math.max(10, Math.min(30, cols - 40));
    const filled = Math.round((done / this.total) * width);
    const secs = ((Date.now() - this.started) / 1000).toFixed(0);
    let line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${this.total} ${secs}s ${label}`;
    if (line.length > cols - 1) line = line.slice(0, cols - 1);
    this.stream.write(`\r\x1b[K${line}`);
  }

  /** Clears the bar. */
  done(): void {
    this.stream.write('\r\x1b[K');
  }
}
