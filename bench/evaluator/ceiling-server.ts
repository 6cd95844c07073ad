// The ceiling for bench/evaluator: bare fastify, same body parsing, a constant JSON answer of the same size as
// an evaluation. Nothing of ours runs here. Usage: node bench/evaluator/ceiling-server.ts <port> <response-bytes>
import Fastify from 'fastify';

const [port, bytes] = process.argv.slice(2).map(Number);
const padding = 'x'.repeat(Math.max(0, (bytes ?? 80) - 78));
const answer = {
  flag_key: 'dark-mode',
  enabled: true,
  value: true,
  variant: 'on',
  reason: 'SPLIT',
  pad: padding,
};
const app = Fastify();
app.post(
  '/ceiling',
  {
    schema: {
      response: {
        200: {
          type: 'object',
          properties: {
            flag_key: { type: 'string' },
            enabled: { type: 'boolean' },
            value: {},
            variant: { type: 'string' },
            reason: { type: 'string' },
            pad: { type: 'string' },
          },
        },
      },
    },
  },
  async () => answer,
);
await app.listen({ host: '127.0.0.1', port: port ?? 0 });
console.log('ready');
