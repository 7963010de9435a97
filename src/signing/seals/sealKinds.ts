/**
 * Seal kinds of 国办发〔2025〕33号 art. 3, their GB/T 38540 type, and how the standard stamp is drawn.
 */
export const SEAL_KINDS = ['legal-name', 'internal', 'branch', 'business', 'personal'] as const;
export type SealKind = (typeof SEAL_KINDS)[number];

export interface SealKindFacts {
  readonly zh: string;
  readonly en: string;
  /** GB/T 38540 SES_ESPropertyInfo.type: 1 单位印章, 2 个人印章. */
  readonly sesType: 1 | 2;
  readonly stamp: 'round' | 'square';
  /** Default true size in millimetres (a round 公章 is 42 mm, GA 241-2000; a name seal 20 mm). */
  readonly sizeMm: number;
}

export const SEAL_KIND_FACTS: Readonly<Record<SealKind, SealKindFacts>> = Object.freeze({
  'legal-name': { zh: '法定名称章', en: 'legal-name seal', sesType: 1, stamp: 'round', sizeMm: 42 },
  internal: { zh: '内设机构章', en: 'internal-unit seal', sesType: 1, stamp: 'round', sizeMm: 40 },
  branch: { zh: '分支机构章', en: 'branch seal', sesType: 1, stamp: 'round', sizeMm: 40 },
  business: { zh: '业务专用章', en: 'business-purpose seal', sesType: 1, stamp: 'round', sizeMm: 40 },
  personal: { zh: '个人名章', en: 'personal name seal', sesType: 2, stamp: 'square', sizeMm: 20 },
});
