import { connect, type Socket } from 'node:net';

/** A socket to `url`'s host and port, connected. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `bytes` as they are (no HTTP client would send them) and resolves with all the server answers. */
export async function rawRequest(url: string, bytes: string, timeoutMs = 5000): Promise<string> {
  const socket = await openSocket(url);
  return new Promise((resolve) => {
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(bytes);
    socket.end();
  });
}
