import { emqxOn } from '../broker-view.js';
import type { AuditRule, Broker, RuleRow } from '../context.js';
import { effectiveSetting } from '../view.js';
import { bad, ok, rowsOr } from './helpers.js';

/**
 * Who may connect without credentials is decided differently by the two brokers, so each reads
 * its own settings: Mosquitto per listener (allow_anonymous, global unless per_listener_settings
 * comes first), EMQX per cluster (an enabled authenticator or required client certificates, and
 * no listener with enable_authn false).
 */
function brokerRows(b: Broker): RuleRow[] {
  if (b.mosquitto) {
    const conf = b.mosquitto.conf;
    return [
      conf.order[0] === 'per_listener_settings'
        ? ok(b.path, `per_listener_settings ${conf.global.get('per_listener_settings')?.at(-1)} comes first`)
        : bad(b.path, `AUTH-1[${b.name}:per_listener_settings]`, 'per_listener_settings is not the first setting, so security options may not apply where they are written'),
      ...conf.listeners.map((l) => {
        const anon = effectiveSetting(conf, l, 'allow_anonymous');
        return anon === 'false' ? ok(b.path, `listener ${l.port}: allow_anonymous false`) : bad(b.path, `AUTH-1[listener:${l.port}]`, `listener ${l.port}: allow_anonymous is ${anon ?? 'unset'}`);
      }),
    ];
  }
  const cfg = b.emqx?.config;
  const authn: any[] = cfg?.authentication ?? [];
  const certOnly = cfg?.mqtt?.peer_cert_as_username && cfg?.listeners?.ssl?.default?.ssl_options?.fail_if_no_peer_cert === true;
  const listenersOff = [...emqxOn(cfg, 'ssl'), ...emqxOn(cfg, 'wss')].filter(([, l]) => l?.enable_authn === false || l?.enable_authn === 'false');
  if (listenersOff.length) return [bad(b.path, `AUTH-1[${b.name}:enable_authn]`, `EMQX listener ${listenersOff.map(([n]) => n).join(', ')} skips authentication`)];
  return [
    authn.some((a) => a?.enable !== false) || certOnly
      ? ok(b.path, 'EMQX authenticates every client (an authenticator or required client certificates)')
      : bad(b.path, `AUTH-1[${b.name}:anonymous]`, 'EMQX has no enabled authenticator: it admits anonymous clients'),
  ];
}

export const rule: AuditRule = {
  id: 'AUTH-1',
  baseline: ['AUTH-1'],
  brokers: ['mosquitto', 'emqx'],
  level: 'error',
  info: 'Anonymous access is off on every listener.',
  explanation: 'Anonymous clients cannot be told apart, rate-limited per identity or revoked.',
  fix: 'per_listener_settings first (false: security options are global), then allow_anonymous false for every listener.',
  check: (c) => rowsOr(c.all.flatMap(brokerRows), c.stack, 'no broker in this stack'),
};
