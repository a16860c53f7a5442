import type { AuditRule, Broker } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

/** Each dialect's words for a listener that lets clients choose their client id. */
const SAY: Record<Broker['kind'], { setting: string; listener: (name: string) => string }> = {
  mosquitto: { setting: 'use_username_as_clientid true', listener: (n) => `listener ${n}` },
  emqx: { setting: 'mqtt.use_username_as_clientid = true', listener: (n) => `EMQX listener ${n}` },
};

export const rule: AuditRule = {
  id: 'AUTH-5',
  baseline: ['AUTH-5'],
  brokers: ['mosquitto', 'emqx'],
  level: 'error',
  info: 'Every listener replaces the client id with the authenticated username.',
  explanation:
    "A client that chooses its client id can connect with another identity's id and take over (disconnect) that session. In Mosquitto 2.0 use_username_as_clientid is a listener setting: one listener block without it reopens the takeover for every session, whichever listener it came in on.",
  fix: 'use_username_as_clientid true in every Mosquitto listener block (MosquittoBroker clientIdIsUsername, the default); mqtt.use_username_as_clientid = true for EMQX (EmqxCluster sets it).',
  check: (c) =>
    rowsOr(
      c.all.map((b) => {
        const open = b.listeners.filter((l) => !l.clientIdIsUsername);
        if (!open.length) return ok(b.path, `${b.listeners.length} listener(s): client id is the username`);
        return bad(
          b.path,
          `AUTH-5[${b.name}:${open.map((l) => l.name).join(',')}]`,
          `${open.map((l) => SAY[b.kind].listener(l.name)).join(', ')} let${open.length === 1 ? 's' : ''} clients choose their client id (no ${SAY[b.kind].setting}): a client can take over another identity's session`,
        );
      }),
      c.stack,
      'no broker in this stack',
    ),
};
