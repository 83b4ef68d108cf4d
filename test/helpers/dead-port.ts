// A loopback port with nothing listening, for "unreachable" cases: one the
// kernel handed out and that was closed again, never a fixed number that
// something on the machine may be serving.
import { createServer } from 'node:net';

export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
