import { Inject, Injectable } from '@nestjs/common';
import { ClouddriverRegistryRepository } from '@event-cache/cache-store';
import { APP_CONFIG, type AppConfig, CodedError, parseInput, PlatformErrorCode } from '@event-cache/platform';
import { AppErrorCode } from '../error-status';
import type { Caller } from './caller';
import { ClouddriverClient, type UpstreamResponse } from './clouddriver.client';
import {
  embeddedRoutingSchema,
  operationRequestSchema,
  operationResultRequestSchema,
} from './dto/operation.dto';
import { InstanceTargets } from './instance-targets';

/**
 * Armory Scale Agent style operation forwarding between Clouddriver instances: an operation goes
 * to the instance that owns the agent (registry table: agent -> instance, or account -> instance),
 * and its results come back to the instance that sent it (tracked by operation id in the table,
 * so any forwarder replica can route them).
 */
@Injectable()
export class OperationForwardingService {
  private readonly ttlSeconds: number;

  constructor(
    private readonly registry: ClouddriverRegistryRepository,
    private readonly targets: InstanceTargets,
    private readonly client: ClouddriverClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlSeconds = config.forwarder.operationTtlSeconds;
  }

  async forwardOperation(body: unknown, caller: Caller): Promise<UpstreamResponse> {
    const request = parseInput(operationRequestSchema, body);
    const embedded = embeddedRouting(request.operation, 'operation');
    const operationId = request.operationId ?? embedded.id ?? embedded.operationId;
    const agentId = request.agentId ?? embedded.agentId;
    const account = request.account ?? embedded.account ?? embedded.accountName;
    if (!operationId)
      throw schemaViolation('operation: names no operation id (operationId, or "id" in the operation)');
    if (!agentId && !account) {
      throw schemaViolation('operation: names neither an agent (agentId) nor an account (account)');
    }
    const senderId = request.senderId ?? this.targets.byAddress(caller.address)?.id;
    if (!senderId) {
      throw new CodedError(
        AppErrorCode.UnknownSender,
        'cannot tell which Clouddriver instance sent this operation, so its results could not be routed back: give senderId (the pod name), or call from the pod itself',
      );
    }

    const owner = agentId
      ? await this.registry.ownerOfAgent(agentId)
      : await this.registry.ownerOfAccount(account!);
    const wanted = agentId ? `agent "${agentId}"` : `account "${account}"`;
    if (!owner) {
      throw this.targets.unavailable(
        'operations',
        `no Clouddriver instance has registered ${wanted} (PUT /armory/agents/{agentId})`,
      );
    }
    const role = `owns ${wanted}`;
    this.targets.ready('operations', owner.clouddriverId, role);
    await this.registry.recordOperation(
      {
        operationId,
        senderId,
        ownerId: owner.clouddriverId,
        agentId: owner.agentId,
        account: account ?? null,
      },
      this.ttlSeconds,
    );
    return this.client.forward(
      {
        route: 'operations',
        path: '/armory/agent/operations',
        body: { operation: request.operation },
        headers: caller.headers,
      },
      () => this.targets.ready('operations', owner.clouddriverId, role),
    );
  }

  async forwardResult(body: unknown, caller: Caller): Promise<UpstreamResponse> {
    const request = parseInput(operationResultRequestSchema, body);
    const embedded = embeddedRouting(request.result, 'result');
    const operationId = request.operationId ?? embedded.id ?? embedded.operationId;
    if (!operationId)
      throw schemaViolation('result: names no operation id (operationId, or "id" in the result)');
    const route = await this.registry.routeOfOperation(operationId);
    if (!route) {
      throw new CodedError(
        AppErrorCode.UnknownOperation,
        `operation "${operationId}" was not forwarded in the last ${this.ttlSeconds} s: the instance waiting for its results is unknown`,
      );
    }
    const role = `sent operation "${operationId}"`;
    return this.client.forward(
      {
        route: 'operationresults',
        path: '/armory/agent/operationresults',
        body: { result: request.result },
        headers: caller.headers,
      },
      () => this.targets.ready('operationresults', route.senderId, role),
    );
  }
}

/** The routing fields of an operation/result text that is a JSON object; nothing otherwise. */
function embeddedRouting(text: string, field: string) {
  let parsed: unknown;
  try {
    parsed = text.trimStart().startsWith('{') ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) return {};
  return parseInput(embeddedRoutingSchema, parsed, field);
}

function schemaViolation(message: string): CodedError {
  return new CodedError(PlatformErrorCode.SchemaViolation, message);
}
