import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

const PREFIX = 'event_cache_';

/**
 * One Prometheus registry per process: process/Node metrics plus the product's `event_cache_*`
 * metrics. Getters are idempotent, so any module can ask for a metric by name.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return this.getOrCreate(
      config.name,
      () => new Counter({ ...config, name: PREFIX + config.name, registers: [this.registry] }),
    );
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return this.getOrCreate(
      config.name,
      () => new Gauge({ ...config, name: PREFIX + config.name, registers: [this.registry] }),
    );
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return this.getOrCreate(
      config.name,
      () => new Histogram({ ...config, name: PREFIX + config.name, registers: [this.registry] }),
    );
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private getOrCreate<M>(name: string, create: () => M): M {
    return (this.registry.getSingleMetric(PREFIX + name) as M | undefined) ?? create();
  }
}
