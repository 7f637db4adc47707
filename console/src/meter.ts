/** Speed over the last few seconds of progress, and the time left at that speed, for a transfer row. */
const WINDOW_MS = 5000;

export class Meter {
  private samples: Array<[at: number, bytes: number]> = [];

  /** Records `bytes` sent now; a jump at the start (a resume's acknowledged parts) is where it starts, not speed. */
  add(bytes: number, now = Date.now()): void {
    if (!this.samples.length || bytes < this.samples.at(-1)![1]) this.samples = [[now, bytes]];
    else this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0]![0] > WINDOW_MS) this.samples.shift();
  }

  /** Bytes a second, or 0 before there is anything to go by. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last[0] - first[0] < 300) return 0;
    return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
  }

  reset(): void {
    this.samples = [];
  }
}
