/**
 * The report cannot be made to lie: hostile names, topics, reasons and paths are rendered by a
 * real CommonMark implementation (markdown-it, GFM tables, raw HTML on, as GitHub allows) and
 * every one of them is visible text in the HTML, with no element the report did not write.
 * Property tests over the renderers with seeded hostile strings, plus the two cases
 * through a synthesized stack.
 */

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { type App, type TerraformResource, TerraformStack, Testing } from 'cdktf';
import { type AuditResult, evaluate } from '../../constructs/audit/engine.js';
import { htmlText, mdCode, mdCodeCell, mdText, sarifText, visible } from '../../constructs/audit/escape.js';
import { type Exposure, exposureOf } from '../../constructs/audit/exposure.js';
import { renderReport } from '../../constructs/audit/report.js';
import { renderSarif } from '../../constructs/audit/sarif.js';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { pick, type Rng, rng } from '../helpers/random.js';
import { minimalBrokerProps } from '../helpers/synth.js';

const require = createRequire(import.meta.url);
const md = (require('markdown-it') as (o: object) => { render(s: string): string })({ html: true });

/** Elements the report writes; anything else in the HTML was injected. */
const ALLOWED = new Set(['h1', 'h2', 'h3', 'p', 'ul', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'strong', 'em', 'details', 'summary', 'b']);

function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(
      /&(amp|lt|gt|quot|#39|#x[0-9a-f]+|#\d+);/gi,
      (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e.toLowerCase()] ?? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
    );
}
const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

function checkHtml(html: string, mustShow: readonly string[]): void {
  assert.doesNotMatch(html, /<!--/, 'no HTML comment reaches the rendered report');
  for (const m of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)) assert.ok(ALLOWED.has(m[1]!.toLowerCase()), `injected element <${m[1]}>`);
  const text = norm(textOf(html));
  for (const s of mustShow) assert.ok(text.includes(norm(visible(s))), `not visible: ${JSON.stringify(s)} as ${JSON.stringify(norm(visible(s)))}`);
}

const FRAGMENTS = [
  '`',
  '``',
  '```',
  '|',
  '\\|',
  '<!--',
  '-->',
  '[',
  ']',
  '](javascript:x)',
  '(',
  ')',
  '<',
  '>',
  '</details>',
  '<script>',
  '&',
  '&lt;',
  '&#96;',
  '*',
  '**',
  '_',
  '#',
  '\\',
  '\n',
  '\n\n',
  '\r',
  '\t',
  '\u0000',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u202e',
  '\u200b',
  '\ufeff',
  'é',
  'ß',
  '漢字',
  '🙂',
  '$x$',
  '@team',
  '~~',
  ' ',
  '  ',
  'a',
  'devices/+/#',
  'http://example.com',
  '![i](x)',
  '| --- |',
  '- ',
  '1. ',
  '> ',
  '=',
  ':smile:',
];
const hostile = (r: Rng) => Array.from({ length: 1 + Math.floor(r() * 8) }, () => pick(r, FRAGMENTS)).join('');

function exposureWith(r: Rng): { e: Exposure; a: AuditResult; strings: string[] } {
  const s = () => hostile(r);
  const users = Array.from({ length: 3 }, () => ({ username: s(), topics: [s(), s()] }));
  const strings: string[] = [];
  const keep = (x: string) => {
    strings.push(x);
    return x;
  };
  const e: Exposure = {
    stack: keep(s()),
    endpoints: [{ path: s(), name: keep(s()), namespace: keep(s()), type: 'NodePort', ports: [8883], scheme: undefined, sourceRanges: [], reach: keep(s()), beyondCluster: true }],
    listeners: [{ broker: keep(s()), port: 8883, bind: keep(s()), tlsVersion: 'tlsv1.2', clientCertificate: false, certificateIsUsername: false, anonymous: false, authorization: 'ACL file' }],
    networkPolicies: [{ path: s(), name: keep(s()), namespace: 'mqtt', types: ['Ingress'], ingress: [{ sources: [keep(s())], ports: [keep(s())] }], egress: [] }],
    securityGroupRules: [{ path: s(), port: '8883', source: keep(s()), description: keep(s()) }],
    identities: users.map((u) => ({ broker: 'mqtt/mosquitto', listenerFile: 'acl', username: keep(u.username), rules: u.topics.map((t, i) => ({ access: i ? 'read' : 'write', topic: keep(t) })) })),
    certificates: [{ name: keep(s()), namespace: 'mqtt', usage: 'server', duration: '2160h', renewBefore: '720h', issuer: keep(s()), key: 'ECDSA 256', dnsNames: [] }],
    secrets: [{ name: keep(s()), count: 1, kms: true, rotationDays: 30 }],
    monitoring: { alerts: [keep(s())], podMonitors: [keep(s())], alarms: [keep(s())], logMetricFilters: [keep(s())] },
    clusters: [{ name: keep(s()), publicEndpoint: false, publicCidrs: [], logTypes: ['api'] }],
    vpcs: [{ path: s(), cidr: keep(s()), flowLogs: true }],
  };
  const rules = Array.from({ length: 3 }, (_, i) => ({ id: `R-${i}`, level: 'error' as const, info: keep(s()), explanation: s(), fix: keep(s()) }));
  const rows = users.flatMap((u, i) => [
    { status: 'non-compliant' as const, path: keep(s()), finding: keep(`R-${i}[${u.username}:${u.topics[0]}]`), detail: keep(s()), rule: `R-${i}`, level: 'error' as const },
    { status: 'compliant' as const, path: keep(s()), detail: keep(s()), rule: `R-${i}`, level: 'error' as const },
    { status: 'non-compliant' as const, path: keep(s()), finding: keep(s()), detail: keep(s()), rule: `R-${i}`, level: 'error' as const, suppressed: { reason: s(), origin: 'suppression' } }, // its reason is shown through a.suppressions
  ]);
  const a: AuditResult = {
    version: 1,
    stack: e.stack,
    rules,
    rows,
    suppressions: [{ rule: 'R-0', where: keep(s()), origin: 'suppression', reason: keep(s()), names: keep(s()), suppressed: [keep(s())], status: 'applied' }],
    summary: { compliant: 3, nonCompliant: 3, suppressed: 3, notApplicable: 0, errors: 3, warnings: 0 },
  };
  return { e, a, strings };
}

describe('escaping helpers', () => {
  it('a code span shows any content exactly, whatever backtick runs it holds', () => {
    for (const s of ['a`b', '``x``', '`', 'x`', ' `x` ', 'a  b', '| pipe |', '<!-- c -->', '\\`']) {
      const html = md.render(`- ${mdCode(s)}\n`);
      assert.equal(textOf(/<code>([\s\S]*)<\/code>/.exec(html)![1]!), visible(s), s);
      // Inside a table cell the pipe escape is consumed by the table and the cell shows the content exactly.
      const cell = md.render(`| h |\n| --- |\n| ${mdCodeCell(s)} |\n`);
      assert.equal(textOf(/<code>([\s\S]*)<\/code>/.exec(cell)![1]!), visible(s), `cell ${s}`);
    }
  });
  it('hidden characters are spelled out; text, HTML and SARIF escapes', () => {
    assert.equal(visible('a\u202eb\u200b\n'), 'a⟦U+202E⟧b⟦U+200B⟧⟦U+000A⟧');
    assert.equal(mdText('[x](y) *z* <!-- `'), '\\[x\\](y) \\*z\\* \\<\\!-- \\`');
    assert.equal(htmlText('<b>"&\''), '&lt;b&gt;&quot;&amp;&#39;');
    assert.equal(sarifText('[link](1) \\'), '\\[link\\](1) \\\\');
  });
});

describe('property: every hostile string stays visible text in the rendered report', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]) {
    it(`seed ${seed}`, () => {
      const { e, a, strings } = exposureWith(rng(seed));
      const out = renderReport(e, a);
      const html = md.render(out);
      checkHtml(html, strings);
      assert.equal((html.match(/<details>/g) ?? []).length, a.rules.length, 'one <details> per rule');
      assert.equal(
        (html.match(/<li>/g) ?? []).length,
        e.identities.length + e.networkPolicies.length + 4 + e.vpcs.length + e.clusters.length,
        'one list item per identity, policy, monitoring line, VPC and cluster',
      );
      for (const table of html.match(/<table>[\s\S]*?<\/table>/g) ?? []) {
        const widths = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => (m[1]!.match(/<t[hd][ >]/g) ?? []).length);
        assert.ok(
          widths.every((w) => w === widths[0]),
          `every row as wide as the header: ${widths}`,
        );
      }
    });
  }
  it('SARIF message text: no embedded link survives', () => {
    const { a } = exposureWith(rng(99));
    const rows = [...a.rows, { status: 'non-compliant' as const, path: 'p', finding: 'R-0[x](1)', detail: '[click](https://example.com)', rule: 'R-0', level: 'error' as const }];
    const sarif = renderSarif([{ audit: { ...a, rows }, artifact: 'cdk.tf.json', text: '' }], '0.0.0') as any;
    const unescapedBracket = (x: string) => /[[\]]/.test(x.replace(/\\./g, ''));
    assert.ok(sarif.runs[0].results.length >= 4);
    for (const r of sarif.runs[0].results) {
      assert.equal(unescapedBracket(r.message.text), false, r.message.text);
      for (const sup of r.suppressions ?? []) assert.equal(unescapedBracket(sup.justification), false, sup.justification);
    }
    assert.ok(sarif.runs[0].results.some((r: any) => r.message.text === 'R-0\\[x\\](1): \\[click\\](https://example.com)'));
  });
});

describe("the issue's two cases, through a synthesized stack", () => {
  function stack(acl: (a: string) => string) {
    const app: App = Testing.app();
    const st = new TerraformStack(app, 'k8s');
    kubernetesProvider(st);
    new MosquittoBroker(st, 'Broker', minimalBrokerProps());
    const cm = st.node.findAll().find((c) => (c as any).terraformResourceType === 'kubernetes_config_map_v1') as TerraformResource;
    const data = structuredClone(st.toTerraform().resource.kubernetes_config_map_v1[st.getLogicalId(cm)].data);
    data.acl = acl(data.acl);
    cm.addOverride('data', data);
    const json = st.toTerraform();
    return renderReport(exposureOf('k8s', json), evaluate(st, undefined, json));
  }
  it('a topic with a backtick does not close the code span', () => {
    const out = stack((a) => a.replace('user sensor-0001', 'user sensor-0001\ntopic read a`b/**x**/#'));
    checkHtml(md.render(out), ['a`b/**x**/#', 'devices/sensor-0001/telemetry']);
  });
  it('<!-- and --> across two rules (each after a backtick) hide no rule of that identity', () => {
    const out = stack((a) => a.replace('user sensor-0001', 'user sensor-0001\ntopic read x`<!--\ntopic write y`-->'));
    const html = md.render(out);
    checkHtml(html, ['x`<!--', 'y`-->', 'devices/sensor-0001/telemetry', 'devices/sensor-0001/status', 'devices/sensor-0001/commands/#', 'sensor-0002']);
  });
});
