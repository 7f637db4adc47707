/** The storage contract on a real S3 server (Ceph RGW on loopback), plus what only S3 promises. */
import { storageContract } from './storage-contract.js';
import { testBucket } from '../helpers/ceph.js';

storageContract('S3 (Ceph RGW)', async () => {
  const b = await testBucket('intake-contract');
  return { storage: b.storage, keys: b.keys, leftovers: b.leftovers, close: b.drop };
});
