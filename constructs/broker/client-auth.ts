/**
 * How MQTT clients authenticate (baseline AUTH-1, TLS-5): the word both brokers, the certificate
 * construct and the audit share. Measured against Mosquitto 2.0.21:
 * - `password`: username and password over TLS.
 * - `certificate`: the certificate alone; its CN is the username. Mosquitto accepts any
 *   certificate of the client CA: a CN that is no identity of the policy connects with no rights
 *   (every publish and subscription refused). Issue client certificates only for identities.
 * - `password-or-certificate`: passwords on the TLS port, certificates on `certificatePort`
 *   (Mosquitto verifies no certificate on a listener that does not require one).
 * - `password-and-certificate`: REFUSED at synth by MosquittoBroker: Mosquitto 2.0 cannot bind
 *   the certificate to the password's identity.
 */
export type ClientAuth = 'password' | 'password-and-certificate' | 'certificate' | 'password-or-certificate';
/** Every value `tls.clientAuth` can take, the refused ones included (tests enumerate this list). */
export const CLIENT_AUTH_MODES: readonly ClientAuth[] = ['password', 'password-and-certificate', 'certificate', 'password-or-certificate'];
