/** MQTT ports: the kit serves MQTT only over TLS (baseline TLS-1). */
import { assertInt } from './checks.js';
import { FortressError } from './errors.js';

/** Ports conventionally used for plaintext MQTT or WebSockets; refused for a listener. */
export const PLAINTEXT_PORTS = [1883, 80, 8080, 8083, 9001] as const;

export function assertTlsPort(prop: string, port: number): void {
  assertInt(prop, port, 1, 65535);
  if ((PLAINTEXT_PORTS as readonly number[]).includes(port)) {
    throw new FortressError('PLAINTEXT_PORT', `${prop} is ${port}, a port for plaintext MQTT or WebSockets. This kit serves MQTT only over TLS (baseline TLS-1): use 8883 (the default) or 443.`);
  }
}
