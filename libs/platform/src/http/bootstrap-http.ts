import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
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
  /** JSON body limit (DESIGN 5: 256 KiB). */
  jsonLimit?: string;
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
