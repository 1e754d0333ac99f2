import 'reflect-metadata';
import { runService } from '@event-cache/platform';
import { service } from './service';

void runService(service);
