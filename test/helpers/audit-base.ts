/**
 * The Kubernetes stack every audit rule finds compliant: a broker with its metrics exporter,
 * bootstrap certificates and monitoring. The audit tests break it one way at a time.
 */
import { type App, TerraformStack, Testing } from 'cdktf';
import { kubernetesProvider } from '../../constructs/k8s/provider.js';
import { BrokerMonitoring } from '../../constructs/monitoring/monitoring.js';
import { MosquittoBroker } from '../../constructs/mosquitto/broker.js';
import { BrokerCertificates } from '../../constructs/tls/certificates.js';
import { minimalBrokerProps } from './synth.js';

const FAKE_DIGEST = `sha256:${'cd'.repeat(32)}`; // test fixture only

export function compliantK8sStack(): { stack: TerraformStack; broker: MosquittoBroker } {
  const app: App = Testing.app();
  const stack = new TerraformStack(app, 'k8s');
  kubernetesProvider(stack);
  const broker = new MosquittoBroker(stack, 'Broker', minimalBrokerProps({ metricsExporter: { image: { digest: FAKE_DIGEST } } }));
  new BrokerCertificates(stack, 'Certificates', { broker, issuer: { kind: 'bootstrap' } });
  new BrokerMonitoring(stack, 'Monitoring', { broker, prometheusLabels: { release: 'kube-prometheus-stack' } });
  return { stack, broker };
}
