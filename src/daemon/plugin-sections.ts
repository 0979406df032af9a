import { PluginHost } from '../host';
import { Router } from '../router';
import { CONFIG_SECTION, type ConfigSectionSchema } from '../sdk';
import { checkConfig, unknownKeyIssue } from '../sdk/config-schema';
import { configIssueError, type QrtrdConfig } from './config';
import { configFileJsonSchema } from './config-schema';
import { PLUGIN_BASE_DIR } from './daemon';

/** Each configured plugin's name and the schema of its section (undefined: the plugin gives none). */
export type PluginSections = ReadonlyMap<string, ConfigSectionSchema | undefined>;

/**
 * Loads the configured plugins' modules (without starting them) and collects the section schema
 * each contributes through CONFIG_SECTION, so that the whole configuration is checked before the
 * daemon starts and `--print-config` / `--print-config-schema` can show the plugins' sections.
 * @throws PluginLoadError, PluginManifestError as loading at start would.
 */
export function loadPluginSections(config: Pick<QrtrdConfig, 'plugins'>): PluginSections {
  // The host needs a router to exist; nothing attaches to it and no plugin is started.
  const host = new PluginHost({ router: new Router() });
  host.load(config.plugins, PLUGIN_BASE_DIR);
  const sections = new Map<string, ConfigSectionSchema | undefined>(host.plugins().map((p) => [p.name, undefined]));
  for (const { plugin, contribution } of host.contributions(CONFIG_SECTION)) if (contribution.schema) sections.set(plugin, contribution.schema);
  return sections;
}

/**
 * Checks every `pluginConfig` section against its plugin's schema, and that each names a loaded
 * plugin. @throws ConfigError / ConfigUnknownKeyError naming `pluginConfig.<name>.<key>`.
 */
export function checkPluginSections(config: QrtrdConfig, sections: PluginSections, source: string): void {
  const names = [...sections.keys()];
  for (const [name, section] of Object.entries(config.pluginConfig)) {
    if (!sections.has(name)) {
      const issue = unknownKeyIssue('pluginConfig', [], name, names);
      throw configIssueError({ ...issue, expected: `the name of a loaded plugin (${names.join(', ') || 'none loaded'})` }, source);
    }
    const schema = sections.get(name);
    if (!schema) continue;
    const checked = checkConfig(schema, section, `pluginConfig.${name}`);
    if (checked.issue) throw configIssueError(checked.issue, source);
  }
}

/** The configuration as the daemon will run it: flags over the file over defaults, each plugin's section with its schema's defaults. */
export function effectiveConfig(config: QrtrdConfig, sections: PluginSections): Record<string, unknown> {
  const pluginConfig: Record<string, unknown> = {};
  for (const [name, schema] of sections) {
    const section = config.pluginConfig[name] ?? {};
    const checked = schema ? checkConfig(schema, section) : null;
    pluginConfig[name] = checked && checked.issue === null ? checked.value : section;
  }
  return { ...config, pluginConfig };
}

/** The JSON Schema of the configuration file with the given plugins' sections. */
export function configSchemaFor(sections: PluginSections): Record<string, unknown> {
  return configFileJsonSchema(sections);
}
