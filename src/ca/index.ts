/** The pure X.509 core of the CA. */
export * from './pem.ts';
export * from './uscc.ts';
export * from './revocationReasons.ts';
export * from './certificate.ts';
export * from './profiles.ts';
export * from './names.ts';
export * from './parseCsr.ts';
export * from './checkCsr.ts';
export * from './extensions.ts';
export * from './issueCertificate.ts';
export * from './createHierarchy.ts';
export * from './buildCrl.ts';
export * from './validatePath.ts';
export * from './buildCsr.ts';
