/**
 * The resumable upload against Ceph RGW (`npm run bench -- multipart --s3 [--gib N]`): the
 * same N bytes in 8 parallel parts, once through a multipart upload the AWS SDK starts and
 * presigns (the baseline: the store alone), once through a resumable Intake session on S3
 * (its presigned UploadPart URLs; Intake is not in the data path, so the ratio should be
 * about 1). Then Intake's complete: CompleteMultipartUpload plus one streamed read of the
 * object for its SHA-256. Objects are deleted and Ceph's garbage collector run after every
 * run (its memstore keeps them in RAM).
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { peakRss, resetPeakRss, type Cleanup } from './lib/children.js';
import { startIntake } from './intake.js';
import { intakeComplete, intakeParts, parallel } from './multipart.js';
import { GIB, median } from './put.js';
import { benchBucket, ceph, collectGarbage, intakeS3Env } from './s3.js';

export interface MultipartS3Result {
  sizeBytes: number;
  parts: number;
  sdkMbPerSecond: number[];
  intakeMbPerSecond: number[];
  ratio: number;
  completeSecondsPerGib: number[];
  completePeakRssBytes: number;
}

export async function benchMultipartS3(cleanup: Cleanup, opts: { size: number; parts: number; runs: number }): Promise<MultipartS3Result> {
  const { size, parts, runs } = opts;
  const env = await ceph();
  const { storage, s3, bucket } = await benchBucket(cleanup, env, 'intake-bench-mp');
  const intake = await startIntake(cleanup, intakeS3Env(env, bucket));
  const partSize = size / parts;
  const sdkMb: number[] = [];
  const ownMb: number[] = [];
  const complete: number[] = [];
  let completePeak = 0;
  for (let run = 0; run < runs; run++) {
    const Key = `bench/sdk-${run}`;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    const numbers = Array.from({ length: parts }, (_, i) => i + 1);
    const urls = await Promise.all(numbers.map((n) => getSignedUrl(s3, new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: n }), { expiresIn: 3600 })));
    sdkMb.push(size / 1e6 / (await parallel(urls, partSize)));
    const { Parts } = await s3.send(new ListPartsCommand({ Bucket: bucket, Key, UploadId }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: Parts?.map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag })) } }));
    await storage.delete(Key);
    await collectGarbage();

    const sent = await intakeParts(intake, size, parts);
    ownMb.push(size / 1e6 / sent.seconds);
    await resetPeakRss(intake.pid);
    complete.push((await intakeComplete(intake, sent.id, size)) / (size / GIB));
    completePeak = Math.max(completePeak, await peakRss(intake.pid));
    await collectGarbage();
    process.stderr.write(
      `  multipart S3 run ${run + 1}/${runs}: SDK ${sdkMb.at(-1)!.toFixed(0)} MB/s, Intake ${ownMb.at(-1)!.toFixed(0)} MB/s, complete ${complete.at(-1)!.toFixed(1)} s/GiB, Intake peak RSS ${(completePeak / 1e6).toFixed(0)} MB\n`,
    );
  }
  return { sizeBytes: size, parts, sdkMbPerSecond: sdkMb, intakeMbPerSecond: ownMb, ratio: median(ownMb) / median(sdkMb), completeSecondsPerGib: complete, completePeakRssBytes: completePeak };
}

export function multipartS3Summary(r: MultipartS3Result): string {
  const f = (v: number[]) => v.map((x) => x.toFixed(0)).join(' ');
  return [
    `${r.sizeBytes / GIB} GiB in ${r.parts} parallel parts to Ceph RGW, MB/s (MB = 10^6 bytes)`,
    `  SDK multipart upload     ${median(r.sdkMbPerSecond).toFixed(0).padStart(6)}   runs: ${f(r.sdkMbPerSecond)}`,
    `  Intake resumable session ${median(r.intakeMbPerSecond).toFixed(0).padStart(6)}   runs: ${f(r.intakeMbPerSecond)}`,
    `  Intake / SDK             ${r.ratio.toFixed(2).padStart(6)}   (goal ≈ 1: Intake is not in the data path)`,
    `  complete (join + one streamed read for SHA-256): ${median(r.completeSecondsPerGib).toFixed(2)} s per GiB (runs ${r.completeSecondsPerGib.map((x) => x.toFixed(2)).join(' ')}), Intake peak RSS ${(r.completePeakRssBytes / 1e6).toFixed(0)} MB`,
  ].join('\n');
}
