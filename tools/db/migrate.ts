import 'reflect-metadata';
import { migrate } from '@event-cache/cache-store';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (the Kubernetes Job runs this). */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is required (npm start runs migrations against its embedded server itself)');
    process.exit(2);
  }
  const applied = await migrate({ url });
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema up to date');
}

main().catch((e: unknown) => {
  console.error('migration failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
