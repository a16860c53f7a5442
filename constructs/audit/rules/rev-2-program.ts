/**
 * REV-2 for what a Mosquitto pod runs (rules/rev-2.ts uses it): the command line of every
 * container that starts Mosquitto, and the kit's scripts in the broker's ConfigMap.
 */
import { KIT_SCRIPTS, kitScript } from '../broker-view.js';
import type { AuditContext, RuleRow } from '../context.js';
import type { ContainerView } from '../view.js';
import { bad, list } from './helpers.js';

/** Where the image's own command reads its configuration (eclipse-mosquitto's CMD). */
const IMAGE_DEFAULT_CONF = '/mosquitto/config/mosquitto.conf';

/**
 * REV-2 for what a Mosquitto pod runs: every container that starts Mosquitto (directly, through
 * the kit's entrypoint, or by the image's own command) must read the configuration the audit
 * parsed, and the kit's scripts in the ConfigMap must be the kit's own. Otherwise the broker could
 * run a file (`-c other.conf`) or a script that no rule has read.
 */
export function brokerProgramRows(c: AuditContext): RuleRow[] {
  const rows: RuleRow[] = [];
  for (const b of c.brokers) {
    for (const f of KIT_SCRIPTS) {
      if (b.files[f] !== undefined && b.files[f] !== kitScript(f))
        rows.push(bad(b.path, `REV-2[${b.name}:script:${f}]`, `${f} in ConfigMap ${b.configMap} is not the script this kit ships: the pod runs code the audit has not read`));
    }
    if (!b.pod) continue;
    const vols = b.pod.volumes.filter((v) => (v.configMap?.name ?? v.config_map?.name) === b.configMap);
    // Paths at which the audited mosquitto.conf appears in a container.
    const audited = new Set<string>();
    const confPaths = (ct: ContainerView) => {
      const out = new Set<string>();
      for (const m of ct.volumeMounts) {
        const vol = vols.find((v) => v.name === m.name);
        const mountPath = m.mountPath ?? (m as any).mount_path;
        if (!vol || typeof mountPath !== 'string') continue;
        const items = list(vol.configMap?.items ?? vol.config_map?.items ?? vol.configMap?.item ?? vol.config_map?.items);
        if (m.subPath !== undefined) {
          if (m.subPath === 'mosquitto.conf' && !items.length) out.add(mountPath);
          continue;
        }
        const item = items.find((i: any) => i?.key === 'mosquitto.conf');
        if (items.length === 0) out.add(`${mountPath.replace(/\/+$/, '')}/mosquitto.conf`);
        else if (item?.path) out.add(`${mountPath.replace(/\/+$/, '')}/${item.path}`);
      }
      return out;
    };
    for (const ct of b.pod.containers) {
      if (ct.init) continue;
      const argv = [...ct.command, ...ct.args].map(String);
      const bin = argv.findIndex((a) => /(^|\/)mosquitto$/.test(a));
      const entry = argv.findIndex((a) => /(^|\/)fortress-broker\.sh$/.test(a));
      const shell = argv.some((a, i) => a === '-c' && i > 0 && /(^|\/)(ba|da|a)?sh$/.test(argv[i - 1]!)) && argv.some((a) => /mosquitto/.test(a) && /\s/.test(a));
      const imageDefault = argv.length === 0 && /eclipse-mosquitto/.test(ct.image);
      if (bin < 0 && entry < 0 && !shell && !imageDefault) continue;
      let conf: string | undefined;
      if (entry >= 0) conf = argv[entry + 1] === 'run' ? argv[entry + 2] : undefined;
      else if (bin >= 0) {
        const i = argv.findIndex((a, k) => k > bin && (a === '-c' || a === '--config-file'));
        conf = i >= 0 ? argv[i + 1] : undefined;
      } else if (imageDefault) conf = IMAGE_DEFAULT_CONF;
      const paths = confPaths(ct);
      if (conf !== undefined && paths.has(conf)) {
        audited.add(ct.name);
        continue;
      }
      const what = shell ? 'starts Mosquitto from a shell command line' : conf === undefined ? 'starts Mosquitto without a configuration file the audit can name' : `starts Mosquitto with ${conf}`;
      rows.push(
        bad(
          b.path,
          `REV-2[${b.name}:config:${ct.name}]`,
          `container ${ct.name} of ${b.pod.owner.name} ${what}, not with the audited mosquitto.conf of ConfigMap ${b.configMap}${paths.size ? ` (mounted at ${[...paths].join(', ')})` : ' (not mounted in that container)'}`,
        ),
      );
    }
    if (!audited.size && !rows.some((r) => r.finding?.startsWith(`REV-2[${b.name}:config:`)))
      rows.push(bad(b.path, `REV-2[${b.name}:config]`, `no container of ${b.pod.owner.name} starts Mosquitto with the audited mosquitto.conf of ConfigMap ${b.configMap}`));
  }
  return rows;
}
