import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../config/config.schema';
import { CodedErrorFilter, type StatusForCode, type TranslateError } from '../errors/coded-error.filter';
import { createLogger, PinoLoggerService } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import { applyServerLimits, rejectMalformedPaths } from './http-edge';
import { DEFAULT_BODY_LIMIT_BYTES, JsonBodyInterceptor } from './request-body';
import { requestLogging } from './request-logging';

export interface HttpServiceOptions {
  /** The app's root module, usually built from the config: `AppModule.forRoot(config)`. */
  module: Type | DynamicModule;
  config: AppConfig;
  /** The app's exhaustive switch from error codes to HTTP statuses. */
  statusFor: StatusForCode;
  /** Libraries' errors that are coded errors in disguise (e.g. the store's database outage). */
  translateError?: TranslateError;
  /** OpenAPI document served at /api-docs. */
  openApi: { title: string; description: string };
  /**
   * Largest JSON body, in bytes (256 KiB: docs/architecture.md#bad-input-and-faults). Bodies are read after the guards and stop
   * being read past the limit; handlers marked `@ReadsOwnBody()` read theirs with `readBody`.
   */
  jsonLimitBytes?: number;
  /** Last chance to add middleware, microservices ... before listening. */
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
  app.use(rejectMalformedPaths);
  // No body parser: bodies are read by JsonBodyInterceptor, after the guards, bounded while streaming.
  app.useGlobalInterceptors(
    new JsonBodyInterceptor(app.get(Reflector), options.jsonLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES),
  );
  app.useGlobalFilters(new CodedErrorFilter(options.statusFor, logger, options.translateError));
  applyServerLimits(app.getHttpServer(), config.http);
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
