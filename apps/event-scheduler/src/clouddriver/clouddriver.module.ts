import { Module } from '@nestjs/common';
import { ClouddriverPropagator } from './clouddriver-propagator.service';

@Module({ providers: [ClouddriverPropagator], exports: [ClouddriverPropagator] })
export class ClouddriverModule {}
