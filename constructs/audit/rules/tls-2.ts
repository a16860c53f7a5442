import type { AuditRule, Broker, MqttListener, RuleRow } from '../context.js';
import { bad, ok, rowsOr } from './helpers.js';

/** TLS 1.2 suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305. */
const AEAD_FS = /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/;
const MODERN = ['tlsv1.2', 'tlsv1.3'];

/** An EMQX listener's name within its type (`default` of `ssl.default`). */
const local = (l: MqttListener) => l.name.slice(l.name.indexOf('.') + 1);

/** The check, once: versions 1.2+ only, and a non-empty list of AEAD suites with forward secrecy. */
function judge(l: MqttListener): 'version' | 'ciphers' | undefined {
  if (!l.tlsVersions.length || l.tlsVersions.some((v) => !MODERN.includes(v))) return 'version';
  if (!(l.ciphers.length + l.tls13Suites.length) || l.ciphers.some((x) => !AEAD_FS.test(x))) return 'ciphers';
  return undefined;
}

/** Each dialect's finding keys and sentences, as suppressions and reports know them. */
const SAY = {
  mosquitto: (b: Broker, l: MqttListener, problem: ReturnType<typeof judge>) => {
    const weak = l.ciphers.filter((x) => !AEAD_FS.test(x));
    if (problem === 'version') return bad(b.path, `TLS-2[listener:${l.port}:version]`, `listener ${l.port}: tls_version is ${l.tlsVersions[0] ?? 'unset (OpenSSL default)'}`);
    if (problem === 'ciphers')
      return bad(b.path, `TLS-2[listener:${l.port}:ciphers]`, `listener ${l.port}: ${l.ciphers.length ? `non-AEAD or non-ECDHE suites ${weak.join(', ')}` : 'no cipher list'}`);
    return ok(b.path, `listener ${l.port}: ${l.tlsVersions[0]}, ${l.ciphers.length} AEAD suites`);
  },
  emqx: (b: Broker, l: MqttListener, problem: ReturnType<typeof judge>) => {
    const weak = l.ciphers.filter((x) => !AEAD_FS.test(x));
    if (problem === 'version') return bad(b.path, `TLS-2[${b.name}:${local(l)}:versions]`, `EMQX listener ${local(l)}: versions ${l.tlsVersions.join(', ') || 'default (includes older ones)'}`);
    if (problem === 'ciphers') return bad(b.path, `TLS-2[${b.name}:${local(l)}:ciphers]`, `EMQX listener ${local(l)}: ciphers ${weak.join(', ') || 'default list'}`);
    return ok(b.path, `EMQX listener ${local(l)}: ${l.tlsVersions.join(', ')}, AEAD suites`);
  },
} satisfies Record<Broker['kind'], (b: Broker, l: MqttListener, p: ReturnType<typeof judge>) => RuleRow>;

export const rule: AuditRule = {
  id: 'TLS-2',
  baseline: ['TLS-2'],
  brokers: ['mosquitto', 'emqx'],
  level: 'error',
  info: 'TLS 1.2 minimum, AEAD cipher suites with forward secrecy only.',
  explanation: 'TLS 1.0/1.1 and CBC or static-RSA suites are broken or downgradeable.',
  fix: 'tls_version tlsv1.2 (or tlsv1.3) and ciphers limited to ECDHE with GCM or ChaCha20-Poly1305 (MosquittoBroker does this).',
  check: (c) =>
    rowsOr(
      c.all.flatMap((b) => b.listeners.filter((l) => l.tlsConfigured).map((l) => SAY[b.kind](b, l, judge(l)))),
      c.stack,
      'no TLS listener in this stack',
    ),
};
