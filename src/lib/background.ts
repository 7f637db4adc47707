/** Work started after a reply was sent; tracked so shutdown can wait for it. */
export class Background {
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly onError: (err: unknown, name: string) => void) {}

  run(name: string, fn: () => Promise<unknown>): void {
    const p = fn()
      .catch((err: unknown) => this.onError(err, name))
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Resolves when everything started so far has settled. */
  async drain(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }
}
