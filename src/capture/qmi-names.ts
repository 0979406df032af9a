import type { QmiMessageSchema } from '../qmi';

/**
 * Names QMI messages for traces. `type` is the QMI header type (0 request,
 * 2 response, 4 indication), so a registry can tell `x_req` from `x_resp`.
 */
export interface QmiMessageNames {
  messageName(service: number, msgId: number, type: number): string | undefined;
  serviceName(service: number): string | undefined;
  /** The schema of a message, when known, so traces can show its decoded fields. */
  schema?(service: number, msgId: number, type: number): QmiMessageSchema | undefined;
}

/** WLFW (service 69) message names by id; requests and responses share an id (qmi.md §4.2). */
export const WLFW_MESSAGE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x20, 'IND_REGISTER'],
  [0x21, 'FW_READY_IND'],
  [0x22, 'WLAN_MODE'],
  [0x23, 'WLAN_CFG'],
  [0x24, 'CAP'],
  [0x25, 'BDF_DOWNLOAD'],
  [0x26, 'CAL_REPORT'],
  [0x27, 'CAL_DOWNLOAD'],
  [0x28, 'INITIATE_CAL_DOWNLOAD_IND'],
  [0x29, 'CAL_UPDATE'],
  [0x2a, 'INITIATE_CAL_UPDATE_IND'],
  [0x2b, 'MSA_READY_IND'],
  [0x2c, 'PIN_CONNECT_RESULT_IND'],
  [0x2d, 'MSA_INFO'],
  [0x2e, 'MSA_READY'],
  [0x2f, 'WLAN_INI'],
  [0x30, 'ATHDIAG_READ'],
  [0x31, 'ATHDIAG_WRITE'],
  [0x32, 'VBATT'],
  [0x33, 'MAC_ADDR'],
  [0x34, 'HOST_CAP'],
  [0x35, 'REQUEST_MEM_IND'],
  [0x36, 'RESPOND_MEM'],
  [0x37, 'FW_MEM_READY_IND'],
  [0x38, 'FW_INIT_DONE_IND'],
  [0x39, 'REJUVENATE_IND'],
  [0x3a, 'REJUVENATE_ACK'],
  [0x3b, 'DYNAMIC_FEATURE_MASK'],
  [0x3c, 'M3_INFO'],
  [0x3d, 'XO_CAL_IND'],
  [0x3e, 'CAL_DONE_IND'],
  [0x4c, 'DEVICE_INFO'],
  [0x57, 'PHY_CAP'],
]);

export const WLFW_SERVICE = 69;

interface ServiceNames {
  name: string;
  /** Key: msgId * 8 + type. */
  schemas: Map<number, QmiMessageSchema>;
  /** Key: msgId * 8 + type, so req/resp/ind of one id can differ. */
  byIdAndType: Map<number, string>;
  byId: Map<number, string>;
}

function isMessageSchema(value: unknown): value is QmiMessageSchema {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<QmiMessageSchema>;
  return typeof v.name === 'string' && typeof v.msgId === 'number' && typeof v.type === 'number' && typeof v.fields === 'object';
}

/**
 * A table of service and message names: the shipped WLFW table, plus any
 * service added by hand or from a generated schema module (src/qmi/schemas).
 */
export class QmiNameRegistry implements QmiMessageNames {
  private readonly services = new Map<number, ServiceNames>();

  /** A registry holding the WLFW names of qmi.md §4.2. */
  static withDefaults(): QmiNameRegistry {
    return new QmiNameRegistry().addService(WLFW_SERVICE, 'wlfw', WLFW_MESSAGE_NAMES);
  }

  /** Adds (or extends) a service with names that hold for every message type of an id. */
  addService(service: number, name: string, messages: Iterable<readonly [number, string]> = []): this {
    const entry = this.entry(service, name);
    for (const [id, msg] of messages) entry.byId.set(id, msg);
    return this;
  }

  /** Adds one schema's name under its id and header type (e.g. `wlfw_cap_req` for type 0). */
  addSchema(service: number, schema: QmiMessageSchema, serviceName?: string): this {
    const entry = this.entry(service, serviceName);
    entry.byIdAndType.set(schema.msgId * 8 + schema.type, schema.name);
    entry.schemas.set(schema.msgId * 8 + schema.type, schema);
    return this;
  }

  /**
   * Adds every message schema a generated module exports, under its
   * `<NAME>_SERVICE_ID` constant and `PACKAGE` name. Returns false (adding
   * nothing) for a module without exactly one service id.
   */
  addSchemaModule(module: Readonly<Record<string, unknown>>): boolean {
    const ids = Object.keys(module).filter((k) => k.endsWith('_SERVICE_ID') && typeof module[k] === 'number');
    if (ids.length !== 1) return false;
    const service = module[ids[0]!] as number;
    const pkg = typeof module.PACKAGE === 'string' ? module.PACKAGE : ids[0]!.slice(0, -'_SERVICE_ID'.length).toLowerCase();
    this.entry(service, pkg);
    for (const value of Object.values(module)) if (isMessageSchema(value)) this.addSchema(service, value);
    return true;
  }

  messageName(service: number, msgId: number, type: number): string | undefined {
    const entry = this.services.get(service);
    if (!entry) return undefined;
    return entry.byIdAndType.get(msgId * 8 + type) ?? entry.byId.get(msgId);
  }

  serviceName(service: number): string | undefined {
    return this.services.get(service)?.name;
  }

  schema(service: number, msgId: number, type: number): QmiMessageSchema | undefined {
    return this.services.get(service)?.schemas.get(msgId * 8 + type);
  }

  private entry(service: number, name?: string): ServiceNames {
    let entry = this.services.get(service);
    if (!entry) {
      entry = { name: name ?? `service ${service}`, byIdAndType: new Map(), byId: new Map(), schemas: new Map() };
      this.services.set(service, entry);
    } else if (name !== undefined) {
      entry.name = name;
    }
    return entry;
  }
}
