/**
 * Words a clerk understands, in Chinese and English, for a validation result — and the HTML report
 * with each seal's image at its true size. Rendered from the frozen result only.
 */
import type { DocumentValidation, Indication, SignatureResult } from './result.ts';

export interface Verdict {
  readonly zh: string;
  readonly en: string;
}

const INDICATION: Record<Indication, Verdict> = {
  TOTAL_PASSED: { zh: '有效：印章真实，文件自盖章后未被篡改', en: 'Valid: the seal is genuine and the document has not been altered since it was sealed' },
  TOTAL_FAILED: { zh: '无效：签章验证失败，不可采信', en: 'Invalid: the seal does not verify — do not rely on this document' },
  INDETERMINATE: { zh: '无法确认：不能证明签章有效，请联系出具单位核实', en: 'Cannot be confirmed: the seal could not be proven valid — check with the issuing office' },
};

const SUB: Record<string, Verdict> = {
  HASH_FAILURE: { zh: '盖章后文件内容被改动', en: 'the document was changed after sealing' },
  SIG_CRYPTO_FAILURE: { zh: '签名值不正确（伪造或损坏）', en: 'the signature value is wrong (forged or damaged)' },
  FORMAT_FAILURE: { zh: '签章结构不合规或盖章后文件被修改', en: 'the signature is malformed, or the document was modified after sealing' },
  REVOKED: { zh: '盖章时证书已被吊销', en: 'the certificate was already revoked when the seal was applied' },
  EXPIRED: { zh: '盖章时证书已过期', en: 'the certificate had already expired when the seal was applied' },
  NOT_YET_VALID: { zh: '证书尚未生效', en: 'the certificate is not yet valid' },
  REVOKED_NO_POE: { zh: '证书已被吊销，且无可信时间证明盖章早于吊销', en: 'the certificate is revoked and no trusted time proves the seal was applied before' },
  OUT_OF_BOUNDS_NO_POE: { zh: '证书已过期，且无可信时间戳证明盖章时证书有效', en: 'the certificate has expired and no trusted time-stamp proves it was valid when sealed' },
  NO_CERTIFICATE_CHAIN_FOUND: { zh: '证书不是由可信的电子认证机构签发', en: 'the certificate was not issued by a trusted certification authority' },
  SIG_CONSTRAINTS_FAILURE: { zh: '印章与签章证书不匹配或印章不在有效期内', en: 'the seal does not belong to the signing certificate, or was used outside its validity' },
  TRY_LATER: { zh: '暂时无法确认证书状态，请稍后再试', en: 'the certificate status cannot be checked right now — try again later' },
  TIMESTAMP_ORDER_FAILURE: { zh: '时间戳顺序异常', en: 'the time-stamps are out of order' },
  NO_SIGNING_CERTIFICATE_FOUND: { zh: '未找到签章证书', en: 'the signing certificate is missing' },
  CHAIN_CONSTRAINTS_FAILURE: { zh: '证书链约束不满足', en: 'the certificate chain breaks its constraints' },
  CERTIFICATE_CHAIN_GENERAL_FAILURE: { zh: '证书链无效', en: 'the certificate chain is invalid' },
  CRYPTO_CONSTRAINTS_FAILURE: { zh: '使用了不接受的密码算法', en: 'an algorithm that is not accepted was used' },
  REVOKED_CA_NO_POE: { zh: '上级证书已被吊销', en: 'an issuing certificate is revoked' },
};

export function verdictOf(r: { indication: Indication; subIndication?: string | undefined }): Verdict {
  const base = INDICATION[r.indication];
  const sub = r.subIndication ? SUB[r.subIndication] : undefined;
  return sub ? { zh: `${base.zh}（${sub.zh}）`, en: `${base.en} (${sub.en})` } : base;
}

/** The plain-language summary the JSON answer carries as `report`. */
export function summary(v: DocumentValidation): { verdict: Verdict; seals: { name: string; verdict: Verdict }[] } {
  return {
    verdict: v.signatures.length ? verdictOf(v) : { zh: '文件未盖电子印章', en: 'The document carries no electronic seal' },
    seals: v.signatures.filter((s) => s.type === 'signature').map((s) => ({ name: s.seal?.name ?? s.signer?.subject ?? s.fieldName, verdict: verdictOf(s) })),
  };
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const MOD: Record<string, Verdict> = {
  NONE: { zh: '无改动', en: 'no changes' },
  LTA_UPDATES: { zh: '仅补充长期验证数据/时间戳', en: 'long-term validation data and time-stamps only' },
  FORM_FILLING: { zh: '加盖其他印章或填写表单', en: 'further seals or form filling' },
  ANNOTATIONS: { zh: '添加了批注', en: 'annotations added' },
  OTHER: { zh: '文件内容被改动', en: 'document content changed' },
};

function signatureHtml(s: SignatureResult): string {
  const v = verdictOf(s);
  const cls = s.indication === 'TOTAL_PASSED' ? 'ok' : s.indication === 'TOTAL_FAILED' ? 'bad' : 'warn';
  const img = s.seal?.image ?? s.ses?.seal.image;
  const seal = s.seal ?? s.ses?.seal;
  return `<section class="sig ${cls}">
  ${img ? `<img class="seal" alt="${esc(seal?.name)}" src="data:image/png;base64,${img.png}" style="width:${img.widthMm}mm;height:${img.heightMm}mm">` : ''}
  <h2>${esc(s.type === 'document-timestamp' ? '文档时间戳 Document time-stamp' : seal?.name ?? s.fieldName)}</h2>
  <p class="verdict">${esc(v.zh)}<br><span lang="en">${esc(v.en)}</span></p>
  <details><summary>详细信息 Details</summary><dl>
    <dt>结论 Indication</dt><dd>${esc(s.indication)}${s.subIndication ? ` / ${esc(s.subIndication)}` : ''}</dd>
    ${seal ? `<dt>印章编码 Seal code (esID)</dt><dd>${esc(seal.esId)}${seal.registered ? ` — ${esc(seal.registered.status)}` : ''}</dd>` : ''}
    ${s.signer ? `<dt>签章人 Signer</dt><dd>${esc(s.signer.subject)}</dd>` : ''}
    <dt>盖章时间 Signing time</dt><dd>${esc(s.signingTime ?? '—')} ${s.signingTimeProven ? '(可信时间戳 proven by a time-stamp)' : '(未经时间戳证明 claimed only)'}</dd>
    <dt>覆盖范围 Coverage</dt><dd>${esc(s.coverage)}; ${esc(MOD[s.modificationLevel]?.zh)} ${esc(MOD[s.modificationLevel]?.en)}</dd>
    ${s.level ? `<dt>级别 Level</dt><dd>PAdES ${esc(s.level)}</dd>` : ''}
    ${s.chain.length ? `<dt>证书链 Chain</dt><dd>${s.chain.map(esc).join('<br>')}</dd>` : ''}
    ${s.reasons.length ? `<dt>原因 Reasons</dt><dd><ul>${s.reasons.map((r) => `<li><code>${esc(r.code)}</code> ${esc(r.message)}</li>`).join('')}</ul></dd>` : ''}
  </dl></details>
</section>`;
}

export function reportHtml(v: DocumentValidation, title = '电子印章验证报告 Electronic seal verification report'): string {
  const s = summary(v);
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>
body{font-family:system-ui,'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
.sig{border:1px solid #ccc;border-left-width:.5rem;border-radius:.4rem;padding:1rem;margin:1rem 0;overflow:hidden}
.ok{border-left-color:#1a7f37}.bad{border-left-color:#c62828}.warn{border-left-color:#b26a00}
.seal{float:right;margin-left:1rem}.verdict{font-size:1.15rem;font-weight:600}dt{font-weight:600;margin-top:.4rem}dd{margin-left:1rem}
</style></head><body><h1>${esc(title)}</h1>
<p class="verdict">${esc(s.verdict.zh)}<br><span lang="en">${esc(s.verdict.en)}</span></p>
<p>文件修订 Revisions: ${v.revisions}; 首次盖章后的改动 Changes after the first seal: ${esc(MOD[v.modificationLevel]?.zh)} / ${esc(MOD[v.modificationLevel]?.en)}. 验证时间 Validated at ${esc(v.validationTime)}.</p>
${v.signatures.map(signatureHtml).join('\n')}
</body></html>`;
}
