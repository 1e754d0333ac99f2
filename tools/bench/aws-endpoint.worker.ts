import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '@event-cache/agents';
import { startAwsEndpoint } from '../local-stack/demo/demo-server';
import { type AccountShape, AwsDouble } from './aws-double';

/**
 * The AWS double of one account/region on the wire, in a thread of its own (bench:refresh): its
 * answers are serialised off the thread that times the requests. Posts the endpoint's URL and the
 * estate's Auto Scaling group names (what the bench force-refreshes).
 */
const double = new AwsDouble(systemClock, workerData as AccountShape, { baseMs: 0, perItemMs: 0, jitter: 0 });
void startAwsEndpoint((operation, input) =>
  double.answerCall(operation.service.name, operation.name, input),
).then((endpoint) => parentPort!.postMessage({ url: endpoint.url, groups: double.groupNames() }));
