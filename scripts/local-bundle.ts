/**
 * `npm run local -- --out DIR [--port N] [--mtls | --client-auth MODE] [--dynamic-security]`: renders the exact broker configuration of the
 * default stack for a local run, with throwaway certificates and fresh passwords that exist only
 * in DIR. `mosquitto -c DIR/config/mosquitto.conf` starts from it unchanged.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLIENT_AUTH_MODES, type ClientAuth } from '../constructs/broker/client-auth.js';
import { renderMosquittoFiles } from '../constructs/mosquitto/files.js';
import { generateLocalPassword, hashPasswordLine } from '../constructs/mosquitto/passwd.js';
import type { MosquittoBrokerOptions } from '../constructs/mosquitto/props.js';
import { resolveMosquitto } from '../constructs/mosquitto/resolve.js';
import { examplesFor } from '../constructs/policy/examples.js';
import { dynsecMarkers } from '../constructs/policy/render-mosquitto.js';
import { defaultMosquittoOptions } from '../stacks/defaults.js';
import { isEntry, parseCli, runMain, UsageError, writeDirAtomically } from './lib/cli.js';
import { runLocalVerify } from './lib/local-verify.js';
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
  /** Shorthand for clientAuth 'certificate' (mutual TLS: the client certificate is the identity). */
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
  const clientAuth: ClientAuth = o.clientAuth ?? (o.mtls ? 'certificate' : (base.tls.clientAuth ?? 'password'));
  // The local ports replace the options' ports; everything else is validated exactly as the
  // construct validates it (resolveMosquitto), before anything is written.
  const { certificatePort: _deployedCertificatePort, ...tls } = base.tls;
  const opts: MosquittoBrokerOptions = {
    ...base,
    port,
    metricsListenerPort: port + 1,
    tls: { ...tls, clientAuth, ...(clientAuth === 'password-or-certificate' ? { certificatePort: port + 2 } : {}) },
  };
  const resolved = resolveMosquitto(opts);
  const mtls = clientAuth !== 'password';
  const certificatePort = resolved.certificatePort;
  const metricsPort = resolved.metricsListenerPort;
  const paths = { config: join(dir, 'config'), tls: join(dir, 'tls'), auth: join(dir, 'auth'), data: join(dir, 'data'), pki: join(dir, 'pki') };
  const dynsecPlugin = ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/mosquitto_dynamic_security.so'].find((p) =>
    existsSync(p),
  );
  const files = renderMosquittoFiles(resolved, { ...paths, bindAddress: '127.0.0.1', ...(dynsecPlugin ? { dynsecPlugin } : {}) });
  for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
  // Mosquitto warns about (and future versions refuse) world-readable ACL and password files.
  writeFileSync(join(paths.config, 'mosquitto.conf'), files['mosquitto.conf'], { mode: 0o640 });
  writeFileSync(join(paths.config, 'acl'), files.acl, { mode: 0o640 });
  if (files['revoked.index'] !== undefined) writeFileSync(join(paths.config, 'revoked.index'), files['revoked.index'], { mode: 0o640 });

  const ca = createCa(paths.pki);
  const tlsServerName = 'localhost';
  const server = issueLeaf(ca, paths.pki, 'server', {
    cn: tlsServerName,
    usage: 'server',
    dnsNames: [tlsServerName, `${opts.name ?? 'mosquitto'}.${opts.namespace ?? 'mqtt'}.svc`],
    ips: ['127.0.0.1'],
  });
  copyFileSync(server.cert, join(paths.tls, 'tls.crt'));
  copyFileSync(server.key, join(paths.tls, 'tls.key'));
  chmodSync(join(paths.tls, 'tls.key'), 0o600);
  copyFileSync(ca.cert, join(paths.tls, 'ca.crt'));

  const users: LocalUser[] = opts.policy.principals.map((p) => ({ username: p.username, password: generateLocalPassword(), role: ROLE[p.kind], ...examplesFor(opts.policy, p.username) }));
  const lines = users.map((u) => hashPasswordLine(u.username, u.password));
  writeFileSync(join(paths.auth, 'passwd'), `${lines.join('\n')}\n`, { mode: 0o600 });
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
  writeFileSync(join(dir, 'bundle.json'), `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o600 });
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

export const LOCAL_USAGE = `npm run local -- --out DIR [--port N] [--mtls | --client-auth MODE] [--dynamic-security] [--verify]

Renders the default stack's exact broker configuration for a local Mosquitto into DIR:
config/mosquitto.conf (listeners on 127.0.0.1), ACL and hashed password files, a throwaway CA and
server certificate (openssl), client certificates for certificate modes, and bundle.json (host,
port, CA file, users with fresh passwords). Start it with: mosquitto -c DIR/config/mosquitto.conf
DIR is written whole or not at all: it must not exist, be empty, or hold an earlier bundle
(bundle.json), which is then replaced.

  --out DIR             output directory (required)
  --port N              TLS port, 1024 to 65533 (default 8883); the metrics listener uses N+1 and
                        the certificate listener of password-or-certificate N+2
  --client-auth MODE    ${CLIENT_AUTH_MODES.join(' | ')} (default: the stack's)
  --mtls                shorthand for --client-auth certificate
  --dynamic-security    the dynamic-security plugin instead of the ACL file
  --verify              then start mosquitto (from the PATH) from the bundle, prove every access
                        assertion of the policy over the wire, print one line per case, and stop
                        it; exits 1 naming the first failing case. --out is optional here (a
                        temporary folder is used and removed) and so is --port (a free one)
  -h, --help            print this help and change nothing`;

/** Parses the command line; every mistake is a one-line usage error, before anything is written. */
export function parseLocalArgs(argv: string[]): LocalBundleOptions & { readonly verify?: boolean } {
  const { values } = parseCli(
    {
      command: 'npm run local --',
      usage: LOCAL_USAGE,
      options: {
        out: { type: 'string' },
        port: { type: 'string' },
        mtls: { type: 'boolean' },
        'client-auth': { type: 'string' },
        'dynamic-security': { type: 'boolean' },
        verify: { type: 'boolean' },
      },
    },
    argv,
  );
  const out = values.out ?? '';
  if (!out && !values.verify) throw new UsageError('--out DIR is required. Usage: npm run local -- --out DIR [--port N] [--mtls | --client-auth MODE] [--dynamic-security]');
  // The path is written into mosquitto.conf and bundle.json: no characters those cannot hold.
  if (out && /["\\\s]/.test(resolve(out))) throw new UsageError(`--out ${JSON.stringify(out)}: the path may not contain white space, quotes or backslashes (it is written into mosquitto.conf).`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = /^\d+$/.test(values.port) ? Number(values.port) : NaN;
    if (!Number.isInteger(port) || port < 1024 || port > 65533) throw new UsageError(`--port must be an integer from 1024 to 65533, got ${JSON.stringify(values.port)}.`);
  }
  const mode = values['client-auth'];
  if (mode !== undefined && !(CLIENT_AUTH_MODES as readonly string[]).includes(mode))
    throw new UsageError(`--client-auth must be one of ${CLIENT_AUTH_MODES.join(', ')}, got ${JSON.stringify(mode)}.`);
  if (mode !== undefined && values.mtls) throw new UsageError('--mtls and --client-auth both set the client authentication; give one.');
  return {
    out,
    ...(port !== undefined ? { port } : {}),
    mtls: Boolean(values.mtls),
    ...(mode ? { clientAuth: mode as ClientAuth } : {}),
    ...(values['dynamic-security'] ? { broker: { ...defaultMosquittoOptions(), aclMode: 'dynamic-security' as const } } : {}),
    ...(values.verify ? { verify: true } : {}),
  };
}

/**
 * Writes the bundle atomically: rendered in a temporary sibling of DIR, its absolute paths then
 * pointed at DIR, and the whole folder renamed into place only when complete. A refused option
 * (say --port 1883) leaves nothing behind.
 */
export async function writeLocalBundle(o: LocalBundleOptions): Promise<LocalBundle> {
  const dest = resolve(o.out);
  return writeDirAtomically(dest, { what: '--out', replaceable: (d) => existsSync(join(d, 'bundle.json')) }, (tmp) => {
    createLocalBundle({ ...o, out: tmp });
    const rewrite = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) rewrite(p);
        else if (e.isFile()) {
          const text = readFileSync(p, 'utf8');
          if (text.includes(tmp)) writeFileSync(p, text.split(tmp).join(dest));
        }
      }
    };
    rewrite(tmp);
    return JSON.parse(readFileSync(join(tmp, 'bundle.json'), 'utf8')) as LocalBundle;
  });
}

export async function main(argv: string[]): Promise<number> {
  const { verify, ...opts } = parseLocalArgs(argv);
  if (verify) {
    const { out, ...rest } = opts;
    await runLocalVerify({ ...rest, ...(out ? { out } : {}), policy: (opts.broker ?? defaultMosquittoOptions()).policy }, writeLocalBundle, (l) => console.log(l));
    return 0;
  }
  const b = await writeLocalBundle(opts);
  console.log(`bundle written: ${resolve(b.config, '..', '..', 'bundle.json')}\nstart it with: mosquitto -c ${b.config}`);
  return 0;
}

if (isEntry(import.meta.url)) await runMain(main);
