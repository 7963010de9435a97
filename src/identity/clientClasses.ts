/**
 * What kind of system a client is, and the highest identity assurance it may ask for when it later
 * requests citizens' identity. Stable ASCII codes in data and APIs; the Chinese labels are for people.
 */

/** Client classes: ASCII code → label. */
export const CLIENT_CLASSES = Object.freeze({
  hrss: '人社 (human resources and social security)',
  government: '政府部门 (other government agency)',
  bank: '银行 (bank)',
  payment: '支付机构 (payment institution)',
  medical: '医疗机构 (medical institution)',
  kiosk: '自助终端 (self-service kiosk)',
  other: '其他 (other)',
} as const);
export type ClientClass = keyof typeof CLIENT_CLASSES;
export const CLIENT_CLASS_CODES = Object.freeze(Object.keys(CLIENT_CLASSES) as ClientClass[]);

/**
 * Identity assurance levels, ordered, named after the eIDAS levels of assurance (Regulation (EU)
 * 910/2014 art. 8: low / substantial / high) so that they mean something outside Kexin too; `none`
 * = the client may not request citizens' identity at all.
 */
export const ASSURANCE_LEVELS = Object.freeze({
  none: '无 (no citizen identity)',
  low: '低 (实名: name and ID number checked against the registry)',
  substantial: '较高 (实名+实人: plus a live face verified against the enrolled template)',
  high: '高 (实名+实人+凭证: plus a credential held on the person\'s device, e.g. the e-card)',
} as const);
export type AssuranceLevel = keyof typeof ASSURANCE_LEVELS;
export const ASSURANCE_LEVEL_CODES = Object.freeze(Object.keys(ASSURANCE_LEVELS) as AssuranceLevel[]);

/** Whether `level` is at most `ceiling`. */
export function assuranceAtMost(level: AssuranceLevel, ceiling: AssuranceLevel): boolean {
  return ASSURANCE_LEVEL_CODES.indexOf(level) <= ASSURANCE_LEVEL_CODES.indexOf(ceiling);
}
