/**
 * Throwaway PKI for local runs and tests, made with the openssl CLI (Node cannot sign X.509).
 * Never used for deployment: there cert-manager issues every certificate.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

export interface Ca extends CertFiles {
  readonly dir: string;
}

/** A self-signed ECDSA P-256 CA valid for `days`. */
export function createCa(dir: string, name = 'mqtt-fortress local CA', days = 2): Ca {
  mkdirSync(dir, { recursive: true });
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-sha256',
      '-days',
      String(days),
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  return { dir, cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
}

export interface LeafOptions {
  readonly cn: string;
  readonly usage: 'server' | 'client';
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  /** Validity window, relative to now, in days; a negative end makes an expired certificate. @default [0, 2] */
  readonly notBeforeDays?: number;
  readonly notAfterDays?: number;
}

function stamp(days: number): string {
  const d = new Date(Date.now() + days * 86400_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

/** An ECDSA P-256 leaf signed by `ca`, written as `<base>.crt` / `<base>.key` in `dir`. */
export function issueLeaf(ca: Ca, dir: string, base: string, o: LeafOptions): CertFiles {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${base}.key`);
  const cert = join(dir, `${base}.crt`);
  const csr = join(dir, `${base}.csr`);
  const ext = join(dir, `${base}.ext`);
  const san = [...(o.dnsNames ?? []).map((d) => `DNS:${d}`), ...(o.ips ?? []).map((i) => `IP:${i}`)];
  writeFileSync(
    ext,
    `${[
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${o.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(san.length ? [`subjectAltName=${san.join(',')}`] : []),
    ].join('\n')}\n`,
  );
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], dir);
  openssl(['req', '-new', '-key', key, '-subj', `/CN=${o.cn}`, '-out', csr], dir);
  // `openssl ca` is the only CLI path that takes explicit start and end dates (for expired certs).
  const caDir = join(dir, `.ca-${base}`);
  mkdirSync(join(caDir, 'new'), { recursive: true });
  writeFileSync(join(caDir, 'index.txt'), '');
  writeFileSync(join(caDir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  writeFileSync(
    join(caDir, 'ca.cnf'),
    `[ca]\ndefault_ca=c\n[c]\ndir=${caDir}\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/new\nserial=$dir/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\ncopy_extensions=none\n[p]\ncommonName=supplied\n`,
  );
  openssl(
    [
      'ca',
      '-batch',
      '-config',
      join(caDir, 'ca.cnf'),
      '-cert',
      ca.cert,
      '-keyfile',
      ca.key,
      '-in',
      csr,
      '-out',
      cert,
      '-extfile',
      ext,
      '-startdate',
      stamp(o.notBeforeDays ?? -0.01),
      '-enddate',
      stamp(o.notAfterDays ?? 2),
      '-notext',
    ],
    dir,
  );
  rmSync(caDir, { recursive: true, force: true });
  rmSync(csr, { force: true });
  rmSync(ext, { force: true });
  return { cert, key };
}
