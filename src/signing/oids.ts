/** Object identifiers the seal structures use (RFC 5652, RFC 3161, RFC 5035, ETSI EN 319 122-1). */
export const SIGNING_OID = Object.freeze({
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  /**
   * Kexin's own attributes, under the same PLACEHOLDER private arc as the certificate policies
   * (src/ca/profiles.ts) — replace with a registered arc before production:
   * the seal's GB/T 38540 SESeal as a CMS *signed* attribute (binds the seal to the signature), and
   * the GB/T 38540 SES_Signature of the same signed bytes as an *unsigned* attribute (dual sealing).
   */
  kexinSesSeal: '1.3.6.1.4.1.99999.3.1',
  kexinSesSignature: '1.3.6.1.4.1.99999.3.2',
});
