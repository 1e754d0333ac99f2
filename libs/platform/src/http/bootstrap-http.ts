import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { raw } from 'express';
import type { AppConfig } from '../config/config.schema';
import { CodedErrorFilter, type StatusForCode } from '../errors/coded-error.filter';
import { createLogger, PinoLoggerService } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import { requestLogging } from './request-logging';

export interface HttpServiceOptions {
  /** The app's root module, usually built from the config: `AppModule.forRoot(config)`. */
  module: Type | DynamicModule;
  config: AppConfig;
  /** The app's exhaustive switch from error codes to HTTP statuses. */
  statusFor: StatusForCode;
  /** OpenAPI document served at /api-docs. */
  openApi: { title: string; description: string };
  /** JSON body limit (256 KiB: docs/architecture.md#bad-input-and-faults). */
  jsonLimit?: string;
  /**
   * Routes (path prefixes) whose body is handed to the handler as raw bytes (a Buffer) whatever
   * the content type, e.g. SNS posts JSON as `text/plain`; the handler bounds and parses it
   * itself. `limit` caps what is read at all (default 1 MiB; beyond it: 413).
   */
  rawBody?: { routes: string[]; limit?: string };
  /** Last chance to add parsers, microservices ... before listening. */
  configure?: (app: NestExpressApplication, logger: PinoLoggerService) => void | Promise<void>;
}

/** Creates, configures and starts an HTTP service; resolves once it listens. */
export async function startHttpService(options: HttpServiceOptions): Promise<INestApplication> {
  const { config } = options;
  const pinoLogger = createLogger({ service: config.service, level: config.log.level });
  const logger = new PinoLoggerService(pinoLogger);
  const app = await NestFactory.create<NestExpressApplication>(options.module, {
    logger,
    bodyParser: false,
    abortOnError: false,
  });
  app.use(requestLogging(pinoLogger, app.get(MetricsService)));
  // Raw routes first: a body read here is not read again by the JSON parser.
  for (const route of options.rawBody?.routes ?? []) {
    app.use(route, raw({ type: () => true, limit: options.rawBody?.limit ?? '1mb' }));
  }
  app.useBodyParser('json', { limit: options.jsonLimit ?? '256kb' });
  app.useGlobalFilters(new CodedErrorFilter(options.statusFor, logger));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.openApi.title)
      .setDescription(options.openApi.description)
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api-docs', app, document, { jsonDocumentUrl: 'api-docs/json' });

  await options.configure?.(app, logger);
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  pinoLogger.info(
    { port, host: config.http.host },
    `${config.service} listening on http://${config.http.host}:${port}`,
  );
  return app;
}
