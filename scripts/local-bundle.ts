/**
 * `npm run local -- --out DIR [--port N] [--mtls | --client-auth MODE] [--dynamic-security]`: renders the exact broker configuration of the
 * default stack for a local run, with throwaway certificates and fresh passwords that exist only
 * in DIR. `mosquitto -c DIR/config/mosquitto.conf` starts from it unchanged.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { defaultMosquittoOptions } from '../stacks/defaults.js';
import { renderMosquittoFiles, type ClientAuth, type MosquittoBrokerOptions } from '../constructs/mosquitto/manifests.js';
import { generateLocalPassword, hashPasswordLine } from '../constructs/mosquitto/passwd.js';
import { FortressError } from '../constructs/core/errors.js';
import { examplesFor } from '../constructs/policy/examples.js';
import { dynsecMarkers } from '../constructs/policy/render-mosquitto.js';
import { createCa, issueLeaf } from './lib/pki.js';

export interface LocalUser {
  readonly username: string;
  readonly password: string;
  readonly role: 'device' | 'service' | 'monitor' | 'operator';
  readonly publish: string[];
  readonly subscribe: string[];
}

export interface LocalBundle {
  readonly broker: 'mosquitto';
  readonly config: string;
  readonly host: string;
  readonly port: number;
  readonly caFile: string;
  readonly tlsServerName: string;
  readonly mtls: boolean;
  readonly clientAuth: ClientAuth;
  readonly users: LocalUser[];
  readonly clientCertificates: { username: string; cert: string; key: string }[];
  readonly extraListeners: { host: string; port: number; purpose: 'metrics' | 'certificate' }[];
}

export interface LocalBundleOptions {
  readonly out: string;
  /** TLS port; the metrics listener uses port + 1 and a certificate listener port + 2. */
  readonly port?: number;
  /** Shorthand for clientAuth 'password-and-certificate'. */
  readonly mtls?: boolean;
  /** @default the broker options' tls.clientAuth */
  readonly clientAuth?: ClientAuth;
  /** Override options (tests); defaults to the default stack's. */
  readonly broker?: MosquittoBrokerOptions;
}

const ROLE = { device: 'device', service: 'service', monitoring: 'monitor', operator: 'operator' } as const;

export function createLocalBundle(o: LocalBundleOptions): LocalBundle {
  const dir = resolve(o.out);
  const port = o.port ?? 8883;
  const base = o.broker ?? defaultMosquittoOptions();
  const clientAuth: ClientAuth = o.clientAuth ?? (o.mtls ? 'password-and-certificate' : (base.tls.clientAuth ?? 'password'));
  const opts: MosquittoBrokerOptions = { ...base, tls: { ...base.tls, clientAuth } };
  const mtls = clientAuth !== 'password';
  const certificatePort = clientAuth === 'password-or-certificate' ? port + 2 : undefined;
  const paths = { config: join(dir, 'config'), tls: join(dir, 'tls'), auth: join(dir, 'auth'), data: join(dir, 'data'), pki: join(dir, 'pki') };
  for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
  const monitoring = opts.policy.principals.some((p) => p.kind === 'monitoring');
  const metricsPort = monitoring ? port + 1 : undefined;
  const dynsecPlugin = ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/mosquitto_dynamic_security.so'].find((p) => existsSync(p));
  const files = renderMosquittoFiles(opts, { ...paths, port, bindAddress: '127.0.0.1', metricsPort, ...(certificatePort ? { certificatePort } : {}), ...(dynsecPlugin ? { dynsecPlugin } : {}) });
  // Mosquitto warns about (and future versions refuse) world-readable ACL and password files.
  writeFileSync(join(paths.config, 'mosquitto.conf'), files['mosquitto.conf'], { mode: 0o640 });
  writeFileSync(join(paths.config, 'acl'), files.acl, { mode: 0o640 });
  writeFileSync(join(paths.config, 'acl-metrics'), files['acl-metrics'], { mode: 0o640 });

  const ca = createCa(paths.pki);
  const tlsServerName = 'localhost';
  const server = issueLeaf(ca, paths.pki, 'server', { cn: tlsServerName, usage: 'server', dnsNames: [tlsServerName, `${opts.name ?? 'mosquitto'}.${opts.namespace ?? 'mqtt'}.svc`], ips: ['127.0.0.1'] });
  copyFileSync(server.cert, join(paths.tls, 'tls.crt'));
  copyFileSync(server.key, join(paths.tls, 'tls.key'));
  chmodSync(join(paths.tls, 'tls.key'), 0o600);
  copyFileSync(ca.cert, join(paths.tls, 'ca.crt'));

  const users: LocalUser[] = opts.policy.principals.map((p) => ({ username: p.username, password: generateLocalPassword(), role: ROLE[p.kind], ...examplesFor(opts.policy, p.username) }));
  const lines = users.map((u) => hashPasswordLine(u.username, u.password));
  writeFileSync(join(paths.auth, 'passwd'), lines.join('\n') + '\n', { mode: 0o600 });
  if (files['dynamic-security-template.json']) {
    writeFileSync(join(paths.config, 'dynamic-security-template.json'), files['dynamic-security-template.json'], { mode: 0o640 });
    let json = files['dynamic-security-template.json'];
    for (const line of lines) {
      const [user, rest] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)];
      const [, , , salt, hash] = rest.split('$');
      const m = dynsecMarkers(user);
      json = json.replace(m.password, hash!).replace(m.salt, salt!);
    }
    writeFileSync(join(paths.auth, 'dynamic-security.json'), json, { mode: 0o600 });
  }
  if (monitoring) {
    writeFileSync(join(paths.auth, 'passwd-metrics'), users.filter((u) => u.role === 'monitor').map((u) => hashPasswordLine(u.username, u.password)).join('\n') + '\n', { mode: 0o600 });
  }
  const clientCertificates = mtls ? users.map((u) => ({ username: u.username, ...issueLeaf(ca, join(paths.pki, 'clients'), u.username, { cn: u.username, usage: 'client' }) })) : [];

  const bundle: LocalBundle = {
    broker: 'mosquitto',
    config: join(paths.config, 'mosquitto.conf'),
    host: '127.0.0.1',
    port,
    caFile: join(paths.tls, 'ca.crt'),
    tlsServerName,
    mtls,
    clientAuth,
    users,
    clientCertificates,
    extraListeners: [
      ...(metricsPort ? [{ host: '127.0.0.1', port: metricsPort, purpose: 'metrics' as const }] : []),
      ...(certificatePort ? [{ host: '127.0.0.1', port: certificatePort, purpose: 'certificate' as const }] : []),
    ],
  };
  writeFileSync(join(dir, 'bundle.json'), JSON.stringify(bundle, null, 2) + '\n', { mode: 0o600 });
  chmodSync(dir, 0o700);
  // Started as root, mosquitto drops to the "mosquitto" user, which must be able to read its files.
  if (process.getuid?.() === 0) {
    try {
      execFileSync('chown', ['-R', 'mosquitto:mosquitto', dir], { stdio: 'ignore' });
    } catch {
      /* no mosquitto user on this machine: the broker then runs as root and reads them anyway */
    }
  }
  return bundle;
}

function parseArgs(argv: string[]): LocalBundleOptions {
  let out: string | undefined;
  let port: number | undefined;
  let mtls = false;
  let dynsec = false;
  let clientAuth: ClientAuth | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') out = argv[++i];
    else if (a === '--port') port = Number(argv[++i]);
    else if (a === '--mtls') mtls = true;
    else if (a === '--client-auth') clientAuth = argv[++i] as ClientAuth;
    else if (a === '--dynamic-security') dynsec = true;
    else throw new FortressError('USAGE', `unknown argument ${a}. Usage: npm run local -- --out DIR [--port N] [--mtls | --client-auth MODE] [--dynamic-security]`);
  }
  if (!out) throw new FortressError('USAGE', 'usage: npm run local -- --out DIR [--port N] [--mtls | --client-auth MODE] [--dynamic-security]');
  if (port !== undefined && (!Number.isInteger(port) || port < 1024 || port > 65534)) throw new FortressError('USAGE', `--port must be an integer from 1024 to 65534, got ${port}`);
  return { out, ...(port !== undefined ? { port } : {}), mtls, ...(clientAuth ? { clientAuth } : {}), ...(dynsec ? { broker: { ...defaultMosquittoOptions(), aclMode: 'dynamic-security' as const } } : {}) };
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  try {
    const b = createLocalBundle(parseArgs(process.argv.slice(2)));
    console.log(`bundle written: ${resolve(b.config, '..', '..', 'bundle.json')}\nstart it with: mosquitto -c ${b.config}`);
  } catch (e) {
    console.error(e instanceof FortressError ? `error ${e.code}: ${e.message}` : e);
    process.exit(1);
  }
}
