import { QrtrdError } from '../common/errors';

/**
 * Base of errors that cross the plugin boundary. `code` is stable (PLUGIN_*),
 * `details` names the plugin and the offending values, so a daemon can report
 * the error to a CLI over its local-client protocol without losing information.
 */
export class PluginError extends QrtrdError {}

/** A plugin's manifest is missing a field or has a malformed one. */
export class PluginManifestError extends PluginError {
  constructor(plugin: string, field: string, expected: string, actual: unknown) {
    super('PLUGIN_MANIFEST_INVALID', `Plugin '${plugin}': manifest field '${field}' must be ${expected}, got ${JSON.stringify(actual)}`, {
      plugin,
      field,
      expected,
      actual: typeof actual === 'bigint' ? actual.toString() : actual,
    });
  }
}

/** A configured plugin module could not be resolved, required, or exports no `plugin`. */
export class PluginLoadError extends PluginError {
  constructor(specifier: string, reason: string, attempted: readonly string[], cause?: unknown) {
    super(
      'PLUGIN_LOAD_FAILED',
      `Cannot load plugin '${specifier}': ${reason} (tried ${attempted.join(', ')}). ` +
        `A plugin module must export \`plugin\` ({ manifest, module }); check the path in the plugin list.`,
      { specifier, reason, attempted: [...attempted] },
      { cause },
    );
  }
}

/** Two plugins with the same name were added to one host. */
export class PluginDuplicateError extends PluginError {
  constructor(plugin: string) {
    super('PLUGIN_DUPLICATE', `Plugin '${plugin}' is already loaded; plugin names must be unique`, { plugin });
  }
}

/** No plugin of that name is loaded. */
export class PluginNotFoundError extends PluginError {
  constructor(plugin: string, loaded: readonly string[]) {
    super('PLUGIN_NOT_FOUND', `No plugin named '${plugin}' is loaded (loaded: ${loaded.join(', ') || 'none'})`, { plugin, loaded: [...loaded] });
  }
}

/** A plugin's configuration is invalid. */
export class PluginConfigError extends PluginError {
  constructor(plugin: string, key: string, expected: string, actual: unknown) {
    super('PLUGIN_CONFIG_INVALID', `Plugin '${plugin}': config '${key}' must be ${expected}, got ${JSON.stringify(actual)}`, {
      plugin,
      key,
      expected,
      actual: typeof actual === 'bigint' ? actual.toString() : actual,
    });
  }
}

/** start() threw or rejected; the plugin was stopped and its resources released. */
export class PluginStartError extends PluginError {
  constructor(plugin: string, cause: unknown) {
    super('PLUGIN_START_FAILED', `Plugin '${plugin}' failed to start: ${describeCause(cause)}`, { plugin }, { cause });
  }
}

/** A plugin used its context after stop (the host refuses new sockets and reservations). */
export class PluginStoppedError extends PluginError {
  constructor(plugin: string, operation: string) {
    super('PLUGIN_STOPPED', `Plugin '${plugin}' is stopped; ${operation} is refused`, { plugin, operation });
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof QrtrdError) return `${cause.code}: ${cause.message}`;
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
