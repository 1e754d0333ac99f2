import { Writable } from 'node:stream';
import { createLogger, PinoLoggerService } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'gate-endpoint', level: 'debug' }, stream) };
}

describe('logging', () => {
  it('writes one JSON line per message with the service, level name and Nest context', () => {
    const { lines, logger } = capture();
    new PinoLoggerService(logger).log('listening', 'Bootstrap');
    expect(lines).toEqual([
      expect.objectContaining({
        service: 'gate-endpoint',
        level: 'info',
        context: 'Bootstrap',
        msg: 'listening',
      }),
    ]);
  });

  it('redacts secrets wherever they appear', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        token: 's3cret',
        config: { apiKey: 'k3y', password: 'pw' },
        req: { headers: { authorization: 'Bearer abc' } },
      },
      'x',
    );
    const text = JSON.stringify(lines);
    for (const secret of ['s3cret', 'k3y', 'pw', 'Bearer abc']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('logs an error with its stack', () => {
    const { lines, logger } = capture();
    new PinoLoggerService(logger).error(new Error('boom'), 'Worker');
    expect(lines[0]).toEqual(expect.objectContaining({ level: 'error', context: 'Worker', msg: 'boom' }));
    expect((lines[0].err as { stack: string }).stack).toContain('Error: boom');
  });
});
