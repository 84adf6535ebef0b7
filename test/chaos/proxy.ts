import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Which connection to cut, and when: after `afterBytes` bytes flowed in `direction`. */
export interface DropPlan {
  /** The n-th connection opened after the plan was set (1 = the next one). */
  readonly connection: number;
  /** `up`: client to server (a statement cut short); `down`: server to client (an answer lost). */
  readonly direction: 'up' | 'down';
  readonly afterBytes: number;
}

/** A TCP proxy in front of the database that cuts one chosen connection mid-stream. */
export interface FaultProxy {
  readonly port: number;
  /** Cuts a connection as planned (replacing any plan not used yet). */
  plan(drop: DropPlan | undefined): void;
  /** How many connections it has cut. */
  readonly dropped: number;
  close(): Promise<void>;
}

/**
 * A database disconnect, for the fault schedules: the rotation functions reach PostgreSQL through
 * this proxy (TLS passes through it untouched, so `verify-full` still holds), and it destroys the
 * planned connection once so many bytes have crossed it, in one direction: a statement, a commit or
 * an answer lost at a random point of the protocol, as a network failure or a failover would.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let pending: DropPlan | undefined;
  let seen = 0;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.host, port: target.port });
    sockets.add(client);
    sockets.add(upstream);
    seen += 1;
    const drop = pending !== undefined && seen === pending.connection ? pending : undefined;
    if (drop !== undefined) pending = undefined;
    let counted = 0;
    const cut = () => {
      dropped += 1;
      client.destroy();
      upstream.destroy();
    };
    const forward = (from: Socket, to: Socket, direction: 'up' | 'down') => {
      from.on('data', (chunk: Buffer) => {
        if (drop !== undefined && drop.direction === direction) {
          counted += chunk.length;
          if (counted > drop.afterBytes) {
            const keep = chunk.length - (counted - drop.afterBytes);
            if (keep > 0) to.write(chunk.subarray(0, keep));
            cut();
            return;
          }
        }
        to.write(chunk);
      });
    };
    forward(client, upstream, 'up');
    forward(upstream, client, 'down');
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    plan(drop) {
      pending = drop;
      seen = 0;
    },
    get dropped() {
      return dropped;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
