/**
 * Progress that moves with the bytes: what storage acknowledged (each part once) plus what
 * the parts in flight have sent so far. A part that fails and starts again sends its bytes
 * twice; the reported value holds still until the new try passes the old, never going back.
 */
import type { Progress } from './upload-types.js';

export class ProgressTracker {
  private readonly counted = new Set<number>();
  private readonly inFlight = new Map<number, number>();
  private acknowledged = 0;
  private reported = 0;
  private reportedAcknowledged = 0;

  constructor(
    private readonly total: number,
    private readonly onProgress?: (p: Progress) => void,
  ) {}

  /** Bytes sent and reported so far (never less than acknowledged). */
  get sent(): number {
    return this.reported;
  }

  /** Part `partNumber` (0 for a simple upload) has sent `bytes` of its current try. */
  sending(partNumber: number, bytes: number): void {
    if (this.counted.has(partNumber)) return;
    this.inFlight.set(partNumber, bytes);
    this.emit();
  }

  /** Part `partNumber`'s try ended without an answer that stored it: its bytes are no longer counted (the reported value holds). */
  dropped(partNumber: number): void {
    this.inFlight.delete(partNumber);
  }

  /** Part `partNumber` (0 for a simple upload) of `size` bytes is acknowledged by storage; `quiet` counts it without reporting (several at once, then `emit()`). */
  acknowledge(partNumber: number, size: number, quiet = false): void {
    if (this.counted.has(partNumber)) return;
    this.counted.add(partNumber);
    this.inFlight.delete(partNumber);
    this.acknowledged = Math.min(this.total, this.acknowledged + size);
    if (!quiet) this.emit();
  }

  /** Everything is stored (complete answered, or a duplicate needed no bytes). */
  finish(): void {
    this.acknowledged = this.total;
    this.inFlight.clear();
    this.emit();
  }

  emit(): void {
    let flying = 0;
    for (const bytes of this.inFlight.values()) flying += bytes;
    const next = Math.max(this.reported, Math.min(this.total, this.acknowledged + flying));
    if (next === this.reported && this.acknowledged === this.reportedAcknowledged) return;
    this.reported = next;
    this.reportedAcknowledged = this.acknowledged;
    this.onProgress?.({ bytesUploaded: this.reported, bytesAcknowledged: this.acknowledged, bytesTotal: this.total });
  }
}
