export * from './test-database';
export * from './test-env';
export * from './postgres-server';
export { PostgresLayoutError } from './postgres-as-root';
export * from './service-probe';
export * from './fake-sqs-queue';
export * from './slow-upload';
export * from './wait';
export * from './booted-service';
