/**
 * Request bodies the byte receiver holds, by the token the front puts on the request it
 * relays to the API routes (front.ts). A route asks here for its body: a relayed request
 * gets the remote body, any other request (a client sending the header itself included)
 * gets nothing and uses its own stream.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { randomToken } from '../../lib/ids.js';
import type { RemoteBody } from '../../storage/object-storage.js';

export const RELAY_HEADER = 'x-intake-relay';

export class RelayedBodies {
  private readonly bodies = new Map<string, RemoteBody>();

  add(body: RemoteBody): string {
    const token = randomToken(24);
    this.bodies.set(token, body);
    return token;
  }

  remove(token: string): void {
    this.bodies.delete(token);
  }

  /** The remote body of a relayed request, or undefined for any other request. */
  of(headers: IncomingHttpHeaders): RemoteBody | undefined {
    const token = headers[RELAY_HEADER];
    return typeof token === 'string' ? this.bodies.get(token) : undefined;
  }
}
