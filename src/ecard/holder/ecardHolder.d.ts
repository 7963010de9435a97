// Types of ecardHolder.js (the holder-side library shared by the holder page and the tests).
export declare const QR_PREFIX: 'KX1:';
export declare const QR_LIFETIME_S: 60;
export declare const PURPOSES: Readonly<{ identity: 1; medical: 2; payment: 3 }>;
export type Purpose = keyof typeof PURPOSES;
export interface DeviceJwk { kty: 'EC'; crv: 'P-256'; x: string; y: string }
export declare function b64u(bytes: Uint8Array): string;
export declare function fromB64u(text: string): Uint8Array;
export declare function base45(bytes: Uint8Array): string;
export declare function generateDeviceKey(): Promise<CryptoKeyPair>;
export declare function deviceJwk(publicKey: CryptoKey): Promise<DeviceJwk>;
export declare function signClaimProof(input: { privateKey: CryptoKey; jwk: DeviceJwk; audience: string; nonce: string; iat?: number }): Promise<string>;
export declare function makeDynamicQr(input: { cardToken: string | Uint8Array; privateKey: CryptoKey; purpose?: Purpose; now?: number; nonce?: Uint8Array }): Promise<string>;
export declare function disclosableClaims(credential: string): string[];
export declare function presentSdJwt(input: { credential: string; disclose: readonly string[]; privateKey: CryptoKey; audience: string; nonce: string; iat?: number }): Promise<string>;
