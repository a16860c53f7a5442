/**
 * AWS IoT Device Defender's audit checks, each answered for a self-hosted broker built with this
 * kit: by a rule of the kit's audit (constructs/audit), by a mechanism the kit enforces that no
 * static audit rule can see (with the test that proves it), or by the reason the check cannot
 * apply. Rendered into docs/device-defender.md (scripts/hardening-docs.ts); a test checks that
 * every check is answered once, every rule id exists and every named test exists.
 *
 * The check names are the API names (UpdateAccountAuditConfiguration, CloudFormation
 * AWS::IoT::AccountAuditConfiguration AuditCheckConfigurations), 17 checks; descriptions from
 * https://docs.aws.amazon.com/iot-device-defender/latest/devguide/device-defender-audit-checks.html
 */
import { type TestRef, testRef } from './test-ref.js';

export const DEVICE_DEFENDER_CHECKS = [
  'AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
  'CA_CERTIFICATE_EXPIRING_CHECK',
  'CA_CERTIFICATE_KEY_QUALITY_CHECK',
  'CONFLICTING_CLIENT_IDS_CHECK',
  'DEVICE_CERTIFICATE_AGE_CHECK',
  'DEVICE_CERTIFICATE_EXPIRING_CHECK',
  'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK',
  'DEVICE_CERTIFICATE_SHARED_CHECK',
  'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK',
  'IOT_POLICY_OVERLY_PERMISSIVE_CHECK',
  'IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK',
  'IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK',
  'IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK',
  'LOGGING_DISABLED_CHECK',
  'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK',
  'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
  'UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
] as const;
export type DeviceDefenderCheck = (typeof DEVICE_DEFENDER_CHECKS)[number];

export const DEVICE_DEFENDER_SOURCE = 'https://docs.aws.amazon.com/iot-device-defender/latest/devguide/device-defender-audit-checks.html';

export type DeviceDefenderAnswer =
  /** Rules of the kit's audit judge the synthesized output for this check. */
  | { readonly kind: 'rule'; readonly rules: readonly string[]; readonly coverage: 'full'; readonly how: string }
  | { readonly kind: 'rule'; readonly rules: readonly string[]; readonly coverage: 'partial'; readonly how: string; readonly gap: string }
  /** The kit enforces it (synth refusal or runtime mechanism) but no audit rule reads it from the output. */
  | { readonly kind: 'enforced'; readonly how: string; readonly proof: readonly TestRef[]; readonly whyNoRule: string; readonly rules?: readonly string[] }
  /** The check is about an AWS IoT Core feature a self-hosted broker does not have. */
  | { readonly kind: 'not-applicable'; readonly reason: string; readonly rules?: readonly string[] };

export interface DeviceDefenderRow {
  readonly check: DeviceDefenderCheck;
  /** What Device Defender looks for, in a few words. */
  readonly looksFor: string;
  readonly answer: DeviceDefenderAnswer;
}

const REVOCATION_TEST = testRef(
  'test/integration/certificate-revocation.int.test.ts',
  'revoking a certificate cuts its open session within interval + poll + apply; it is refused, a re-issued one is accepted',
);

export const DEVICE_DEFENDER_MAPPING: readonly DeviceDefenderRow[] = [
  {
    check: 'AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    looksFor: 'an authenticated Cognito identity pool role with broad IoT rights',
    answer: {
      kind: 'not-applicable',
      reason:
        'Clients authenticate to the broker with a password or a client certificate, never through Cognito identity pools; no AWS credentials are handed to devices. The AWS roles the kit does create (credential rotation, external-secrets) are held to least privilege by AUTH-2.',
      rules: ['AUTH-2'],
    },
  },
  {
    check: 'UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK',
    looksFor: 'an unauthenticated Cognito role with IoT rights',
    answer: {
      kind: 'rule',
      rules: ['AUTH-1', 'ACL-1'],
      coverage: 'partial',
      how: 'The MQTT equivalent of an unauthenticated role: AUTH-1 requires allow_anonymous false on every listener, ACL-1 refuses any rule for anonymous clients.',
      gap: 'Cognito itself does not exist here; nothing else to check.',
    },
  },
  {
    check: 'CA_CERTIFICATE_EXPIRING_CHECK',
    looksFor: 'a CA certificate expiring within 30 days',
    answer: {
      kind: 'rule',
      rules: ['TLS-3', 'MON-2'],
      coverage: 'partial',
      how: 'TLS-3 requires every cert-manager Certificate (the bootstrap CA included) to have a bounded lifetime and a renewBefore; MON-2 requires the PrometheusRule that alerts on certificates about to expire.',
      gap: 'A CA you bring (existing-ca, AWS Private CA, a ClusterIssuer) is outside the synthesized output; only the alert watches it.',
    },
  },
  {
    check: 'CA_CERTIFICATE_KEY_QUALITY_CHECK',
    looksFor: 'a CA key that is too weak',
    answer: {
      kind: 'rule',
      rules: ['TLS-3'],
      coverage: 'partial',
      how: 'TLS-3 refuses RSA below 3072 bits on every cert-manager Certificate, the bootstrap CA included; synth refuses such a key before the audit runs (TLS_KEY).',
      gap: 'The key of a CA you bring is not in the synthesized output.',
    },
  },
  {
    check: 'CONFLICTING_CLIENT_IDS_CHECK',
    looksFor: 'several devices connecting with the same client id',
    answer: {
      kind: 'enforced',
      how: "clientIdIsUsername (default true) renders use_username_as_clientid on every Mosquitto listener (and mqtt.use_username_as_clientid on EMQX): the client id is the identity, so two identities cannot share one and a device cannot displace another device's session. Turning it off is a relaxation with a reason (ACL-2 in the report).",
      proof: [
        testRef('test/integration/attack-matrix.int.test.ts', 'client id spoofing: a device reuses another device client id'),
        testRef('test/mosquitto/config.test.ts', 'every listener binds the client id; security options are global only'),
      ],
      whyNoRule: 'No audit rule reads use_username_as_clientid from the synthesized configuration yet; the renderer and the relaxation enforce it.',
      rules: ['ACL-2'],
    },
  },
  {
    check: 'DEVICE_CERTIFICATE_AGE_CHECK',
    looksFor: 'device certificates older than a threshold',
    answer: {
      kind: 'rule',
      rules: ['AUTH-3', 'TLS-3'],
      coverage: 'partial',
      how: 'AUTH-3 caps client certificates at 365 days (default 90) and TLS-3 requires renewal with a new key, so no kit-issued device certificate ages past its duration.',
      gap: 'Device certificates issued outside the kit (your provisioning pipeline) are not in the output.',
    },
  },
  {
    check: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
    looksFor: 'device certificates expiring within 30 days',
    answer: {
      kind: 'rule',
      rules: ['TLS-3', 'MON-2'],
      coverage: 'partial',
      how: 'TLS-3 requires a renewBefore on every Certificate, so cert-manager renews kit-issued device certificates before they expire; MON-2 requires the certificate-expiry alert.',
      gap: 'Certificates issued outside the kit are watched by nothing the kit synthesizes.',
    },
  },
  {
    check: 'DEVICE_CERTIFICATE_KEY_QUALITY_CHECK',
    looksFor: 'device certificates with weak keys',
    answer: {
      kind: 'rule',
      rules: ['TLS-3'],
      coverage: 'partial',
      how: 'TLS-3 refuses RSA below 3072 bits on every Certificate, client certificates included (BrokerCertificates issues ECDSA P-256 by default).',
      gap: 'The broker accepts any certificate its client CA signed; the key quality of certificates issued outside the kit is not checked.',
    },
  },
  {
    check: 'DEVICE_CERTIFICATE_SHARED_CHECK',
    looksFor: 'one certificate used by several devices at the same time',
    answer: {
      kind: 'enforced',
      how: 'In certificate mode the CN is the username and, with clientIdIsUsername, the client id: two devices sharing a certificate are one identity with one session, each connection displacing the other (visible as "already connected, closing old connection" in the broker log). A leaked certificate is revoked with tls.revocation.',
      proof: [REVOCATION_TEST, testRef('test/integration/tls.int.test.ts', "a device's certificate alone authenticates it as its CN, with its rights")],
      whyNoRule: 'Sharing is runtime behaviour; the synthesized output cannot show it. The kit has no alert on repeated session takeovers yet (a log metric on "already connected" would be one).',
    },
  },
  {
    check: 'INTERMEDIATE_CA_REVOKED_FOR_ACTIVE_DEVICE_CERTIFICATES_CHECK',
    looksFor: 'active device certificates issued by a revoked intermediate CA',
    answer: {
      kind: 'not-applicable',
      reason:
        "The kit's client CA is one level (bootstrap CA, or the CA you name): there is no intermediate to revoke in the default setup. Mosquitto 2.0 checks a CRL for the leaf only (X509_V_FLAG_CRL_CHECK, not CRL_CHECK_ALL), so with a chain you bring, revoke an intermediate by removing it from the client CA Secret: the reloader restarts mosquitto with the new CA and every certificate under it is refused.",
    },
  },
  {
    check: 'IOT_POLICY_OVERLY_PERMISSIVE_CHECK',
    looksFor: 'policies granting broad publish, subscribe or receive rights',
    answer: {
      kind: 'rule',
      rules: ['ACL-1', 'ACL-2', 'ACL-3'],
      coverage: 'full',
      how: 'ACL-1 default deny, ACL-2 no rule reaching every subtree ("#", "+/..."), ACL-3 nobody publishes to "$" topics; judged on the rendered ACL of every broker dialect.',
    },
  },
  {
    check: 'IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK',
    looksFor: 'policy statements that do not mean what they seem to (wildcards in resources, deny with wildcards)',
    answer: {
      kind: 'rule',
      rules: ['ACL-3', 'ACL-2'],
      coverage: 'partial',
      how: 'Malformed filters, "#" not last, control characters and $SYS writes are refused at synth (ACL-3); the rendered ACL is re-read by the real brokers in the property tests so it means what the policy says. Policy assertions (docs/assertions.md) state intended access and fail synth when the policy disagrees.',
      gap: 'A filter that is valid but broader than intended (e.g. "devices/+/commands/#" for a device) is found only by ACL-2 when it spans every subtree, or by an assertion you wrote.',
    },
  },
  {
    check: 'IOT_ROLE_ALIAS_ALLOWS_ACCESS_TO_UNUSED_SERVICES_CHECK',
    looksFor: 'a role alias (credentials provider) granting AWS services the devices never used',
    answer: {
      kind: 'not-applicable',
      reason:
        "A self-hosted broker has no credentials provider: devices never exchange their certificate for AWS credentials through the broker. The kit's own AWS roles are scoped to the actions they use (AUTH-2 checks least-privilege IAM).",
      rules: ['AUTH-2'],
    },
  },
  {
    check: 'IOT_ROLE_ALIAS_OVERLY_PERMISSIVE_CHECK',
    looksFor: 'a role alias with broad AWS permissions',
    answer: {
      kind: 'not-applicable',
      reason: "No role aliases exist: the broker hands out no AWS credentials. The kit's own AWS roles are judged by AUTH-2.",
      rules: ['AUTH-2'],
    },
  },
  {
    check: 'LOGGING_DISABLED_CHECK',
    looksFor: 'broker logging turned off',
    answer: {
      kind: 'rule',
      rules: ['MON-3'],
      coverage: 'full',
      how: 'MON-3 requires connection, authentication and subscription events on stderr with timestamps (Mosquitto: log_dest stderr, connection_messages, log_type subscribe; EMQX: console log handler).',
    },
  },
  {
    check: 'REVOKED_CA_CERTIFICATE_STILL_ACTIVE_CHECK',
    looksFor: 'a revoked CA certificate still trusted',
    answer: {
      kind: 'enforced',
      how: "The broker trusts exactly the client CA in its Secret (tls.clientCaSecretName, or the server Secret's ca.crt). Removing a CA from that Secret is its revocation: the reloader validates the change and restarts mosquitto, which does not reload cafile on SIGHUP; certificates of the removed CA are refused at the handshake.",
      proof: [testRef('test/integration/tls.int.test.ts', 'no certificate, another CA, expired: refused')],
      whyNoRule: 'The CA certificates live in a Secret in the cluster, not in the synthesized output; no static rule can see which CA is trusted.',
    },
  },
  {
    check: 'REVOKED_DEVICE_CERTIFICATE_STILL_ACTIVE_CHECK',
    looksFor: 'a revoked device certificate still connecting',
    answer: {
      kind: 'enforced',
      how: 'tls.revocation. Mosquitto: the declared list becomes a CRL signed in the pod with the client CA key (crlfile on every certificate listener); a change restarts mosquitto so the open session of the revoked certificate is cut (about 2 s after the change with a 1 s reloader interval), the certificate is refused at the handshake, a re-issued one for the same identity is accepted. EMQX 5.8: a CRL server of the kit (<name>-crl, the only pod with the CA key) signs the list and serves it over HTTP, the client CA issuer stamps its URL as the CRL distribution point, and the MQTT/TLS listener checks it (enable_crl_check, refetched every crl_cache.refresh_interval, 1 min by default); a revoked certificate is refused at its next handshake, but an open session is not cut (docs/certificate-revocation.md).',
      proof: [
        REVOCATION_TEST,
        testRef('test/tls/revocation.test.ts', "the client CA's key is mounted only in the credentials containers, never in the broker container"),
        testRef('test/emqx/crl-server.int.test.ts', 'the revoked certificate is refused at the handshake (TLS 1.2 and 1.3), the others are accepted'),
        testRef('test/emqx/revocation.test.ts', 'only the CRL server mounts the CA key, under a UID of its own; the EMQX pods do not'),
      ],
      whyNoRule:
        'Which certificates are revoked is a fact of the PKI, not of the configuration. An audit rule could require a crlfile (Mosquitto) or enable_crl_check (EMQX) in certificate mode; it does not exist yet. The EMQX path was checked against an OTP 25 ssl server configured as EMQX configures its listener, not against a running EMQX node.',
    },
  },
];

/** docs/device-defender.md. */
export function renderDeviceDefenderDoc(ruleInfo: (id: string) => string | undefined): string {
  const rules = (ids: readonly string[] | undefined) => (ids?.length ? ids.map((id) => `${id} (${(ruleInfo(id) ?? '?').replace(/\.$/, '')})`).join('; ') : '');
  const L: string[] = [
    '# AWS IoT Device Defender audit checks, answered for a self-hosted broker',
    '',
    '<!-- Generated from constructs/hardening/device-defender.ts by `npm run docs:hardening`. Do not edit. -->',
    '',
    `AWS IoT Device Defender audits an AWS IoT Core account with ${DEVICE_DEFENDER_CHECKS.length} checks (${DEVICE_DEFENDER_SOURCE}).`,
    "This table answers each one for a broker built with this kit: a rule of the kit's audit (`npm run report`)",
    'that judges the synthesized output, a mechanism the kit enforces that no static rule can see (with the',
    'test that proves it), or the reason the check cannot apply to a self-hosted broker.',
    '',
  ];
  const counts = { full: 0, partial: 0, enforced: 0, na: 0 };
  for (const r of DEVICE_DEFENDER_MAPPING) {
    const a = r.answer;
    if (a.kind === 'rule') counts[a.coverage]++;
    else if (a.kind === 'enforced') counts.enforced++;
    else counts.na++;
  }
  L.push(
    `Summary: ${counts.full} fully covered by audit rules, ${counts.partial} partly covered by audit rules, ${counts.enforced} enforced by the kit without an audit rule, ${counts.na} not applicable.`,
    '',
  );
  for (const r of DEVICE_DEFENDER_MAPPING) {
    const a = r.answer;
    L.push(`## ${r.check}`, '', `Looks for: ${r.looksFor}.`, '');
    if (a.kind === 'rule') {
      L.push(`- **${a.coverage === 'full' ? 'Covered' : 'Partly covered'}** by ${rules(a.rules)}.`, `- How: ${a.how}`);
      if (a.coverage === 'partial') L.push(`- Not covered: ${a.gap}`);
    } else if (a.kind === 'enforced') {
      L.push('- **Enforced by the kit**, no audit rule.', `- How: ${a.how}`, `- Proof: ${a.proof.map((t) => `\`${t.file}\` "${t.title}"`).join('; ')}.`, `- Why no rule: ${a.whyNoRule}`);
      if (a.rules?.length) L.push(`- Related: ${rules(a.rules)}.`);
    } else {
      L.push('- **Not applicable** to a self-hosted broker.', `- Why: ${a.reason}`);
      if (a.rules?.length) L.push(`- Related: ${rules(a.rules)}.`);
    }
    L.push('');
  }
  return `${L.join('\n').trimEnd()}\n`;
}
