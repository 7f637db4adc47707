/** Progress as acknowledged bytes: each part counts once, the value never goes backwards. */
import type { Progress } from './upload-types.js';

export class ProgressTracker {
  private readonly counted = new Set<number>();
  private acknowledged = 0;
  private reported = -1;

  constructor(
    private readonly total: number,
    private readonly onProgress?: (p: Progress) => void,
  ) {}

  /** Part `partNumber` (0 for a simple upload) of `size` bytes is acknowledged by storage; `quiet` counts it without reporting (several at once, then `emit()`). */
  acknowledge(partNumber: number, size: number, quiet = false): void {
    if (this.counted.has(partNumber)) return;
    this.counted.add(partNumber);
    this.acknowledged = Math.min(this.total, this.acknowledged + size);
    if (!quiet) this.emit();
  }

  /** Everything is stored (complete answered, or a duplicate needed no bytes). */
  finish(): void {
    this.acknowledged = this.total;
    this.emit();
  }

  emit(): void {
    if (this.acknowledged <= this.reported) return;
    this.reported = this.acknowledged;
    this.onProgress?.({ bytesUploaded: this.acknowledged, bytesTotal: this.total });
  }
}
