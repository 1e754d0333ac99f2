import { Writable } from 'node:stream';
import { createLogger, PinoLoggerService } from './logger';

function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'gate-endpoint', level }, stream) };
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

  it("writes Nest's start-up chatter (modules, route mapping, application started) at debug level", () => {
    const { lines, logger } = capture();
    const nest = new PinoLoggerService(logger);
    nest.log('Starting Nest application...', 'NestFactory');
    nest.log('AppModule dependencies initialized', 'InstanceLoader');
    nest.log('HealthController {/health}:', 'RoutesResolver');
    nest.log('Mapped {/health/live, GET} route', 'RouterExplorer');
    nest.log('Nest application successfully started', 'NestApplication');
    nest.log('scheduler started: 7 agents', 'CachingAgents');
    nest.warn('a warning while mapping', 'RouterExplorer');
    expect(lines.map((l) => [l.level, l.context])).toEqual([
      ['debug', 'NestFactory'],
      ['debug', 'InstanceLoader'],
      ['debug', 'RoutesResolver'],
      ['debug', 'RouterExplorer'],
      ['debug', 'NestApplication'],
      ['info', 'CachingAgents'],
      ['warn', 'RouterExplorer'],
    ]);

    // At the default level, none of it is written.
    const info = capture('info');
    new PinoLoggerService(info.logger).log('Mapped {/health/live, GET} route', 'RouterExplorer');
    expect(info.lines).toEqual([]);
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
