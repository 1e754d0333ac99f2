import * as autoScaling from '@aws-sdk/client-auto-scaling';
import * as cloudWatch from '@aws-sdk/client-cloudwatch';
import * as ec2 from '@aws-sdk/client-ec2';
import * as elasticLoadBalancingV2 from '@aws-sdk/client-elastic-load-balancing-v2';
import { JsonCodec } from '@smithy/core/protocols';
import { deref, NormalizedSchema } from '@smithy/core/schema';

/**
 * The server side of the AWS wire protocols the caching agents' SDK v3 clients speak, driven by
 * the clients' own schemas (`DescribeInstances$` ...): requests are read and responses written
 * from the operation's input and output shapes, with the protocol's naming traits, so no call
 * needs hand-written XML.
 *
 * - EC2 Query: form body, flattened lists (`Filter.1.Value.1`), `ec2QueryName` keys; the answer
 *   is `<XResponse><requestId/>...</XResponse>`, list items `<item>`, element names `xmlName`.
 * - AWS Query (Auto Scaling, ELBv2): form body, `Name.member.N` lists; the answer is
 *   `<XResponse><XResult>...</XResult><ResponseMetadata/></XResponse>`, list items `<member>`.
 * - AWS JSON 1.0 (CloudWatch, query-compatible): `X-Amz-Target`, JSON both ways, dates in epoch
 *   seconds; read and written by Smithy's own JSON codec.
 */
export type WireProtocol = 'ec2Query' | 'awsQuery' | 'awsJson1_0';

export interface WireService {
  /** The name of the service in `aws.endpoints` (and the SDK's signing name after the colon). */
  readonly name: 'ec2' | 'autoScaling' | 'elasticLoadBalancingV2' | 'cloudWatch';
  readonly protocol: WireProtocol;
  /** Query protocols: the `Version` every request carries; JSON: the `X-Amz-Target` prefix. */
  readonly version: string;
  readonly xmlNamespace?: string;
  /** The SDK client package's exports, where `<Operation>$` is each operation's schema. */
  readonly sdk: Record<string, unknown>;
}

export const WIRE_SERVICES: readonly WireService[] = [
  {
    name: 'ec2',
    protocol: 'ec2Query',
    version: '2016-11-15',
    xmlNamespace: 'http://ec2.amazonaws.com/doc/2016-11-15/',
    sdk: ec2,
  },
  {
    name: 'autoScaling',
    protocol: 'awsQuery',
    version: '2011-01-01',
    xmlNamespace: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
    sdk: autoScaling,
  },
  {
    name: 'elasticLoadBalancingV2',
    protocol: 'awsQuery',
    version: '2015-12-01',
    xmlNamespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
    sdk: elasticLoadBalancingV2,
  },
  { name: 'cloudWatch', protocol: 'awsJson1_0', version: 'GraniteServiceVersion20100801', sdk: cloudWatch },
];

/** An operation of a service: its name and its input and output shapes. */
export interface WireOperation {
  readonly service: WireService;
  readonly name: string;
  readonly input: NormalizedSchema;
  readonly output: NormalizedSchema;
}

const operations = new Map<string, WireOperation | null>();

/** The operation `name` of `service` as the installed SDK client defines it, if it has one. */
export function wireOperation(service: WireService, name: string): WireOperation | undefined {
  const key = `${service.name}:${name}`;
  let found = operations.get(key);
  if (found === undefined) {
    found = null;
    // Own exports only, and only names an operation can have (no prototype keys, no "__").
    if (/^[A-Z][A-Za-z0-9]{1,80}$/.test(name) && Object.hasOwn(service.sdk, `${name}$`)) {
      const schema = service.sdk[`${name}$`];
      // [9, namespace, name, traits, input, output]: an operation schema.
      if (Array.isArray(schema) && schema[0] === 9 && schema[2] === name) {
        found = {
          service,
          name,
          input: NormalizedSchema.of(deref(schema[4] as never)),
          output: NormalizedSchema.of(deref(schema[5] as never)),
        };
      }
    }
    operations.set(key, found);
  }
  return found ?? undefined;
}

/** A request that breaks the protocol's own rules: answered as AWS answers it, 400 with this code. */
export class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

// --- requests ------------------------------------------------------------------------------------

/** Bounds of a form body: its parameters and how deep their dotted names go. */
const MAX_PARAMETERS = 2_000;
const MAX_KEY_DEPTH = 12;

interface FormNode {
  value?: string;
  children: Map<string, FormNode>;
}

/**
 * The input of a query-protocol request (EC2 Query or AWS Query) from its form parameters,
 * read by the input shape: the same key rules the SDK's query serializer writes with. Parameters
 * the shape does not name are ignored, as AWS ignores them.
 */
export function readQueryInput(operation: WireOperation, params: URLSearchParams): Record<string, unknown> {
  const root: FormNode = { children: new Map() };
  let count = 0;
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    if (++count > MAX_PARAMETERS) throw new WireError('MalformedQueryString', 'Too many parameters');
    const path = key.split('.');
    if (path.length > MAX_KEY_DEPTH)
      throw new WireError('MalformedQueryString', `Parameter ${key.slice(0, 100)} is too deep`);
    let node = root;
    for (const part of path) {
      let child = node.children.get(part);
      if (!child) {
        child = { children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    node.value = value;
  }
  const ec2Style = operation.service.protocol === 'ec2Query';
  return (readQueryValue(operation.input, root, ec2Style) ?? {}) as Record<string, unknown>;
}

function queryKey(memberName: string, schema: NormalizedSchema, ec2Style: boolean, struct: boolean): string {
  const traits = schema.getMergedTraits();
  if (ec2Style && typeof traits.ec2QueryName === 'string') return traits.ec2QueryName;
  const key = typeof traits.xmlName === 'string' ? traits.xmlName : memberName;
  return ec2Style && struct ? key[0].toUpperCase() + key.slice(1) : key;
}

/** The numbered children of a node (`.1`, `.2` ...), in order. */
function numbered(node: FormNode): FormNode[] {
  return [...node.children.entries()]
    .filter(([k]) => /^[1-9]\d{0,4}$/.test(k))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, child]) => child);
}

function readQueryValue(schema: NormalizedSchema, node: FormNode, ec2Style: boolean): unknown {
  if (schema.isStructSchema()) {
    const out: Record<string, unknown> = {};
    for (const [member, memberSchema] of schema.structIterator()) {
      const child = node.children.get(queryKey(member, memberSchema, ec2Style, true));
      if (child === undefined) continue;
      const value = readQueryValue(memberSchema, child, ec2Style);
      if (value !== undefined) out[member] = value;
    }
    return out;
  }
  if (schema.isListSchema()) {
    if (node.children.size === 0) return node.value === '' ? [] : undefined; // `Name=`: an empty list
    const item = schema.getValueSchema();
    const flat = ec2Style || !!schema.getMergedTraits().xmlFlattened;
    const holder = flat ? node : node.children.get(queryKey('member', item, ec2Style, false));
    return holder ? numbered(holder).map((child) => readQueryValue(item, child, ec2Style)) : [];
  }
  if (schema.isMapSchema()) {
    const keySchema = schema.getKeySchema();
    const valueSchema = schema.getValueSchema();
    const flat = !!schema.getMergedTraits().xmlFlattened;
    const holder = flat ? node : node.children.get('entry');
    const out = new Map<string, unknown>();
    for (const entry of holder ? numbered(holder) : []) {
      const key = entry.children.get(queryKey('key', keySchema, ec2Style, false))?.value;
      const value = entry.children.get(queryKey('value', valueSchema, ec2Style, false));
      if (key !== undefined && value !== undefined)
        out.set(key, readQueryValue(valueSchema, value, ec2Style));
    }
    return Object.fromEntries(out);
  }
  const text = node.value;
  if (text === undefined) return undefined;
  return scalarFromText(schema, text);
}

function scalarFromText(schema: NormalizedSchema, text: string): unknown {
  if (schema.isBooleanSchema()) {
    if (text !== 'true' && text !== 'false')
      throw new WireError('InvalidParameterValue', `Value (${text.slice(0, 40)}) is not a boolean`);
    return text === 'true';
  }
  if (schema.isNumericSchema()) {
    const n = Number(text);
    if (text.trim() === '' || Number.isNaN(n))
      throw new WireError('InvalidParameterValue', `Value (${text.slice(0, 40)}) is not a number`);
    return n;
  }
  if (schema.isTimestampSchema()) {
    const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
    if (Number.isNaN(ms))
      throw new WireError('InvalidParameterValue', `Value (${text.slice(0, 40)}) is not a date`);
    return new Date(ms);
  }
  if (schema.isBlobSchema()) return Buffer.from(text, 'base64');
  return text;
}

const json = new JsonCodec({ timestampFormat: { useTrait: true, default: 7 }, jsonName: false });

/** The input of an AWS JSON request, read by the input shape (members it does not name are dropped). */
export async function readJsonInput(
  operation: WireOperation,
  body: string,
): Promise<Record<string, unknown>> {
  try {
    JSON.parse(body);
  } catch {
    throw new WireError('SerializationException', 'The request body is not valid JSON');
  }
  const value = (await json.createDeserializer().read(operation.input, body)) as unknown;
  return (value ?? {}) as Record<string, unknown>;
}

// --- responses -----------------------------------------------------------------------------------

/** The body of a successful answer to `operation`, from `output` shaped as the SDK returns it. */
export function writeOutput(operation: WireOperation, output: object, requestId: string): string {
  const { service, name } = operation;
  if (service.protocol === 'awsJson1_0') {
    const serializer = json.createSerializer();
    serializer.write(operation.output, output);
    return serializer.flush();
  }
  const body = xmlMembers(operation.output, output);
  const xmlns = ` xmlns="${service.xmlNamespace}"`;
  if (service.protocol === 'ec2Query')
    return `${XML_DECLARATION}<${name}Response${xmlns}><requestId>${requestId}</requestId>${body}</${name}Response>`;
  return (
    `${XML_DECLARATION}<${name}Response${xmlns}><${name}Result>${body}</${name}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${name}Response>`
  );
}

/** The body of an error answer, as the protocol's clients read the code and message. */
export function writeError(
  protocol: WireProtocol,
  error: { code: string; message: string; status: number },
  requestId: string,
): { contentType: string; body: string; headers: Record<string, string> } {
  if (protocol === 'awsJson1_0') {
    return {
      contentType: 'application/x-amz-json-1.0',
      // Query-compatible services also name the query error code (`Code;Sender`) in a header.
      headers: { 'x-amzn-query-error': `${error.code};${error.status >= 500 ? 'Receiver' : 'Sender'}` },
      body: JSON.stringify({ __type: error.code, message: error.message }),
    };
  }
  const code = escapeXml(error.code);
  const message = escapeXml(error.message);
  if (protocol === 'ec2Query')
    return {
      contentType: 'text/xml;charset=UTF-8',
      headers: {},
      body:
        `${XML_DECLARATION}<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message>` +
        `</Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  return {
    contentType: 'text/xml',
    headers: {},
    body:
      `<ErrorResponse xmlns="http://webservices.amazon.com/AWSFault/2005-15-09"><Error>` +
      `<Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code>` +
      `<Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** The members of a structure as XML elements: names from `xmlName`, absent members left out. */
function xmlMembers(schema: NormalizedSchema, value: object): string {
  const source = value as Record<string, unknown>;
  let out = '';
  for (const [member, memberSchema] of schema.structIterator()) {
    const v = source[member];
    if (v === undefined || v === null) continue;
    const traits = memberSchema.getMemberTraits();
    const name = typeof traits.xmlName === 'string' ? traits.xmlName : member;
    if (memberSchema.isListSchema() && !!memberSchema.getMergedTraits().xmlFlattened) {
      const item = memberSchema.getValueSchema();
      for (const entry of v as unknown[]) out += element(name, xmlValue(item, entry));
    } else {
      out += element(name, xmlValue(memberSchema, v));
    }
  }
  return out;
}

function xmlValue(schema: NormalizedSchema, value: unknown): string {
  if (schema.isStructSchema()) return xmlMembers(schema, value as object);
  if (schema.isListSchema()) {
    const item = schema.getValueSchema();
    const itemTraits = item.getMergedTraits();
    const name = typeof itemTraits.xmlName === 'string' ? itemTraits.xmlName : 'member';
    return (value as unknown[]).map((entry) => element(name, xmlValue(item, entry))).join('');
  }
  if (schema.isMapSchema()) {
    const keySchema = schema.getKeySchema();
    const valueSchema = schema.getValueSchema();
    const keyName = keySchema.getMergedTraits().xmlName ?? 'key';
    const valueName = valueSchema.getMergedTraits().xmlName ?? 'value';
    return Object.entries(value as Record<string, unknown>)
      .map(
        ([k, v]) =>
          `<entry>${element(keyName, escapeXml(k))}${element(valueName, xmlValue(valueSchema, v))}</entry>`,
      )
      .join('');
  }
  if (schema.isTimestampSchema()) return escapeXml(timestampText(schema, value));
  if (schema.isBlobSchema()) return Buffer.from(value as Uint8Array).toString('base64');
  return escapeXml(String(value));
}

/** Query protocols write dates as ISO-8601 unless the member says otherwise (`timestampFormat`). */
function timestampText(schema: NormalizedSchema, value: unknown): string {
  const date = value instanceof Date ? value : new Date(value as string | number);
  switch (schema.getSchema()) {
    case 6:
      return date.toUTCString();
    case 7:
      return String(date.getTime() / 1000);
    default:
      return date.toISOString();
  }
}

function element(name: string, inner: string): string {
  return inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);
}

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
