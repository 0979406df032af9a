import { z } from 'zod';
import { closestKey } from '../common/closest-key';

export { closestKey };

/*
 * The configuration vocabulary: the daemon's file, its flags and every plugin's own section are
 * described by zod schemas, so one description gives the check (with the key and the closest
 * valid key on a typo), the defaults `qrtrd --print-config` shows, and the JSON Schema editors
 * read (`qrtrd --print-config-schema`). Plugins build their section's schema with this `z`
 * (the same zod instance the daemon walks) and hand it over through CONFIG_SECTION.
 */
export { z };

/** A plugin's section: an object schema (strict, so unknown keys are refused). */
export type ConfigSectionSchema = z.ZodObject;

/** The first thing wrong with a value checked against a schema. */
export interface ConfigIssue {
  /** Full dotted path (`pluginConfig.ath11k.requestTimoutMs`, `simulation.cards[1].boardId`). */
  readonly key: string;
  /** What the key must be (`an integer 0..65535`), or for an unknown key the list of known ones. */
  readonly expected: string;
  readonly actual: unknown;
  /** The key is not one the schema knows. */
  readonly unknownKey: boolean;
  /** For an unknown key: the closest known key, when one is close enough to be a typo. */
  readonly suggestion?: string;
  /** For an unknown key: the keys valid at its place. */
  readonly known?: readonly string[];
}

type Path = readonly PropertyKey[];

/** `simulation.cards[1].pciAddress` from ['simulation', 'cards', 1, 'pciAddress'] under `prefix`. */
export function formatConfigPath(prefix: string, path: Path): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const part of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[part];
  }
  return v;
}

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Whether an object schema's `key` is a literal that holds `value` (a discriminated union's branch). */
function literalHolds(def: Def, key: string, value: unknown): boolean {
  const at = def.shape?.[key];
  return at !== undefined && defOf(at).type === 'literal' && (defOf(at).values ?? []).includes(value);
}

/**
 * The object schemas a value at `path` may be checked against (through optional, nullable,
 * default, union, pipe). `raw` is the value at the schema's place: a discriminated union
 * (`links[]`, one branch per kind) gives only the branch the value's discriminator names.
 */
function objectsAt(schema: z.ZodType, path: Path, raw?: unknown): Def[] {
  const def = defOf(schema);
  const below = (part: PropertyKey): unknown => (typeof raw === 'object' && raw !== null ? (raw as Record<PropertyKey, unknown>)[part] : undefined);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return objectsAt(def.innerType!, path, raw);
    case 'pipe':
      return objectsAt(def.in!, path, raw);
    case 'union': {
      const key = def.discriminator;
      const value = key === undefined ? undefined : below(key);
      const branches = key === undefined ? def.options! : def.options!.filter((o) => literalHolds(defOf(o), key, value));
      return branches.flatMap((o) => objectsAt(o, path, raw));
    }
    case 'object':
      if (path.length === 0) return [def];
      return def.shape![String(path[0])] ? objectsAt(def.shape![String(path[0])], path.slice(1), below(path[0])) : [];
    case 'array':
      return path.length === 0 ? [] : objectsAt(def.element!, path.slice(1), below(path[0]));
    case 'record':
      return path.length === 0 ? [] : objectsAt(def.valueType!, path.slice(1), below(path[0]));
    default:
      return [];
  }
}

/** Keys an object at `path` of `schema` may hold (`raw`: the whole value checked, to pick a discriminated union's branch). */
export function knownKeysAt(schema: z.ZodType, path: Path, raw?: unknown): string[] {
  return [...new Set(objectsAt(schema, path, raw).flatMap((d) => Object.keys(d.shape ?? {})))];
}

/** An unknown key at `path` (its parent object's path) among `known`. */
export function unknownKeyIssue(prefix: string, parent: Path, key: string, known: readonly string[]): ConfigIssue {
  const suggestion = closestKey(key, known);
  return { key: formatConfigPath(prefix, [...parent, key]), expected: `one of ${known.join(', ')}`, actual: key, unknownKey: true, known, ...(suggestion ? { suggestion } : {}) };
}

function toIssue(schema: z.ZodType, raw: unknown, prefix: string, issue: z.core.$ZodIssue): ConfigIssue {
  if (issue.code === 'unrecognized_keys') return unknownKeyIssue(prefix, issue.path, issue.keys[0], knownKeysAt(schema, issue.path, raw));
  // A wrapped validator's unknown key (a refinement that knows its own keys).
  const params = issue.code === 'custom' ? (issue.params as { unknownKey?: boolean; known?: string[] } | undefined) : undefined;
  if (params?.unknownKey && issue.path.length > 0) return unknownKeyIssue(prefix, issue.path.slice(0, -1), String(issue.path[issue.path.length - 1]), params.known ?? []);
  if (issue.code === 'invalid_union') {
    // The branch that got furthest into the value says what is wrong (netdev: a bad `mtu`, not "a union").
    const deepest = issue.errors.flat().sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest && deepest.path.length > 0) return toIssue(schema, raw, prefix, { ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue);
  }
  return { key: formatConfigPath(prefix, issue.path), expected: issue.message, actual: valueAt(raw, issue.path), unknownKey: false };
}

/** Checks `raw` against `schema`; the first issue found, or null and the parsed value. */
export function checkConfig<S extends z.ZodType>(schema: S, raw: unknown, prefix = ''): { issue: ConfigIssue } | { issue: null; value: z.output<S> } {
  const result = schema.safeParse(raw);
  if (result.success) return { issue: null, value: result.data };
  // A misspelt key also leaves the key it meant missing: the unknown key says both, so it goes first.
  const issues = result.error.issues;
  return { issue: toIssue(schema, raw, prefix, issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]) };
}

/** One line for an issue: `'x.y' must be ..., got ...` or `unknown key 'x.y'; did you mean 'x.z'?`. */
export function describeConfigIssue(issue: ConfigIssue): string {
  if (issue.unknownKey) {
    const hint = issue.suggestion ? `did you mean '${issue.suggestion}'?` : `known keys: ${(issue.known ?? []).join(', ') || 'none'}`;
    return `unknown key '${issue.key}'; ${hint}`;
  }
  return `'${issue.key}' must be ${issue.expected}, got ${JSON.stringify(issue.actual) ?? 'nothing'}`;
}

// Schema pieces whose every failure reads as the expectation, e.g. "'node' must be an integer 0..4294967294".

/** An integer min..max (shown as `hint` when given). */
export function configInt(min: number, max: number, hint = `an integer ${min}..${max}`): z.ZodInt {
  return z.int({ error: hint }).min(min, { error: hint }).max(max, { error: hint });
}

/** A non-empty string. */
export function configString(hint: string): z.ZodString {
  return z.string({ error: hint }).min(1, { error: hint });
}

export function configBoolean(hint = 'true or false'): z.ZodBoolean {
  return z.boolean({ error: hint });
}

/** One of the listed words. */
export function configEnum<const T extends readonly [string, ...string[]]>(values: T, hint = `one of ${values.join(', ')}`): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values as unknown as [string, ...string[]], { error: hint }) as never;
}

/** The JSON Schema (draft 2020-12) of a configuration schema, for editors. */
export function configJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
}
