// Kexin seal verification page: drop a PDF (checked by the server), or scan a printout's QR code
// (its signed code is checked here, offline, against the print keys cached from /verify/keys; the
// registry is then asked for the original's status when the network allows).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const statusEl = $('status');
  const resultEl = $('result');
  const say = (zh, en) => { statusEl.textContent = en ? `${zh} — ${en}` : zh; };
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  const VERDICT = {
    TOTAL_PASSED: ['有效：印章真实，文件自盖章后未被篡改', 'Valid: the seal is genuine and the document has not been altered since it was sealed', 'ok'],
    TOTAL_FAILED: ['无效：签章验证失败，不可采信', 'Invalid: the seal does not verify — do not rely on this document', 'bad'],
    INDETERMINATE: ['无法确认：请联系出具单位核实', 'Cannot be confirmed: check with the issuing office', 'warn'],
  };

  function sealCard(s) {
    const [zh, en, cls] = VERDICT[s.indication] ?? VERDICT.INDETERMINATE;
    const seal = s.seal || (s.ses && s.ses.seal);
    const img = seal && seal.image;
    const title = s.type === 'document-timestamp' ? '文档时间戳 Document time-stamp' : (seal ? seal.name : s.fieldName);
    const reasons = (s.reasons || []).map((r) => `<li><code>${esc(r.code)}</code> ${esc(r.message)}</li>`).join('');
    return `<article class="card ${cls}" data-indication="${esc(s.indication)}">
      ${img ? `<img class="seal" alt="${esc(seal.name)}" src="data:image/png;base64,${img.png}" style="width:${img.widthMm}mm;height:${img.heightMm}mm">` : ''}
      <h2>${esc(title)}</h2>
      <p class="verdict">${esc(zh)}<span class="en">${esc(en)}</span></p>
      <details><summary>详细信息 Details</summary><dl>
        <dt>结论 Indication</dt><dd>${esc(s.indication)}${s.subIndication ? ' / ' + esc(s.subIndication) : ''}</dd>
        ${seal ? `<dt>印章编码 Seal code</dt><dd>${esc(seal.esId)}${seal.registered ? ' — ' + esc(seal.registered.status) : ''}</dd>` : ''}
        ${s.signer ? `<dt>签章人 Signer</dt><dd>${esc(s.signer.subject)}</dd>` : ''}
        <dt>盖章时间 Signing time</dt><dd>${esc(s.signingTime || '—')} ${s.signingTimeProven ? '(时间戳证明 proven)' : '(声明 claimed)'}</dd>
        <dt>盖章后改动 Changes after sealing</dt><dd>${esc(s.modificationLevel)}</dd>
        ${s.level ? `<dt>级别 Level</dt><dd>PAdES ${esc(s.level)}</dd>` : ''}
        ${reasons ? `<dt>原因 Reasons</dt><dd><ul>${reasons}</ul></dd>` : ''}
      </dl></details></article>`;
  }

  function showValidation(v) {
    const [zh, en, cls] = VERDICT[v.indication] ?? VERDICT.INDETERMINATE;
    const none = !v.signatures || v.signatures.length === 0;
    resultEl.innerHTML = `<article class="card ${none ? 'warn' : cls}" id="overall" data-indication="${esc(v.indication)}">
      <p class="verdict">${none ? '文件未盖电子印章<span class="en">The document carries no electronic seal</span>' : `${esc(zh)}<span class="en">${esc(en)}</span>`}</p></article>`
      + (v.signatures || []).map(sealCard).join('');
    resultEl.hidden = false;
  }

  async function verifyFile(file) {
    if (!file) return;
    if (file.size > 100 * 1024 * 1024) { say('文件超过 100 MB', 'The file is larger than 100 MB'); return; }
    say('正在验证…', 'Verifying…');
    resultEl.hidden = true;
    try {
      const res = await fetch('/verify/pdf', { method: 'POST', headers: { 'content-type': 'application/pdf', accept: 'application/json' }, body: file });
      const body = await res.json();
      if (!res.ok) { say(`无法验证：${body.detail || body.code}`, 'The file could not be verified'); return; }
      say('验证完成', 'Done');
      showValidation(body);
    } catch {
      say('网络错误，请重试', 'Network error — try again');
    }
  }

  // ---- the printed copy's QR code: <url>/verify/documents/<id>#<compact JWS>
  const b64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
  async function printKeys() {
    try {
      const res = await fetch('/verify/keys');
      if (res.ok) { const jwks = await res.json(); localStorage.setItem('kexin-print-keys', JSON.stringify(jwks)); return jwks; }
    } catch { /* offline: use the cached keys */ }
    return JSON.parse(localStorage.getItem('kexin-print-keys') || '{"keys":[]}');
  }
  /** Checks the code's ES256 signature with a known print key; returns its payload or null. */
  async function verifyCode(jws) {
    const [h, p, s] = jws.split('.');
    if (!s) return null;
    const header = JSON.parse(new TextDecoder().decode(b64u(h)));
    if (header.alg !== 'ES256') return null;
    const jwk = (await printKeys()).keys.find((k) => k.kid === header.kid);
    if (!jwk) return null;
    const key = await crypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, b64u(s), new TextEncoder().encode(`${h}.${p}`));
    return ok ? JSON.parse(new TextDecoder().decode(b64u(p))) : null;
  }

  async function showDocument(idOrCode, payload) {
    let doc = null;
    try {
      const res = await fetch(`/verify/documents/${encodeURIComponent(idOrCode)}`, { headers: { accept: 'application/json' } });
      if (res.ok) doc = await res.json();
      else if (res.status === 404) { say('未找到该核验码对应的文件', 'No registered document has this code'); resultEl.hidden = true; return; }
    } catch { /* offline */ }
    const signedOk = !!payload;
    const cls = doc ? (doc.seals.every((s) => s.status === 'active') ? 'ok' : 'warn') : (signedOk ? 'ok' : 'warn');
    const seals = doc ? doc.seals.map((s) => `<p>${s.imageUrl ? `<img alt="" src="${esc(s.imageUrl)}" style="width:${s.imageSizeMm.width}mm;height:${s.imageSizeMm.height}mm;vertical-align:middle">` : ''} ${esc(s.name)} — ${esc(s.owner)} — ${esc(s.esId)} — <strong>${esc(s.status)}</strong></p>`).join('') : '';
    resultEl.innerHTML = `<article class="card ${cls}" id="printed" data-code-valid="${signedOk}">
      <p class="verdict">${signedOk ? '打印件核验码真实有效' : '已找到登记的原件'}<span class="en">${signedOk ? 'The printout\u2019s code is genuine' : 'Registered original found'}</span></p>
      <dl>
        ${payload ? `<dt>核验码 Code</dt><dd>${esc(payload.c)}</dd><dt>盖章时间 Sealed at</dt><dd>${esc(new Date(payload.t * 1000).toISOString())}</dd><dt>印章 Seals</dt><dd>${payload.s.map(esc).join(', ')}</dd>` : ''}
        ${doc ? `<dt>原文 SHA-256</dt><dd><code>${esc(doc.inputSha256)}</code></dd>${seals ? `<dt>印章状态 Seal status</dt><dd>${seals}</dd>` : ''}
        ${doc.downloadUrl ? `<dt>原件 Original</dt><dd><a href="${esc(doc.downloadUrl)}">下载原件，与打印件比对 Download and compare with the printout</a></dd>` : ''}` : '<dt>登记状态 Registry</dt><dd>离线：无法查询 Offline: not checked</dd>'}
      </dl></article>`;
    resultEl.hidden = false;
    say(signedOk ? '核验完成' : '查询完成', 'Done');
  }

  async function onQr(text) {
    const m = /\/verify\/documents\/([0-9a-f-]{36})#([A-Za-z0-9_.-]+)$/.exec(text);
    if (!m) { say('这不是本系统的核验二维码', 'This QR code is not a Kexin verification code'); return; }
    const payload = await verifyCode(m[2]).catch(() => null);
    if (!payload || payload.d !== m[1]) { say('核验码签名无效：打印件可能被伪造', 'The code\u2019s signature is invalid: the printout may be forged'); resultEl.innerHTML = '<article class="card bad" id="printed" data-code-valid="false"><p class="verdict">核验码无效<span class="en">Invalid verification code</span></p></article>'; resultEl.hidden = false; return; }
    await showDocument(payload.d, payload);
  }

  let stream = null;
  function stopCamera() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    $('camera').hidden = true;
  }
  async function startCamera() {
    if (typeof jsQR !== 'function') { say('二维码识别组件未加载', 'The QR reader did not load'); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch {
      say('无法打开摄像头', 'The camera could not be opened');
      return;
    }
    const video = $('video');
    const canvas = $('frame');
    const g = canvas.getContext('2d', { willReadFrequently: true });
    video.srcObject = stream;
    $('camera').hidden = false;
    say('正在扫描…', 'Scanning…');
    const tick = () => {
      if (!stream) return;
      if (video.readyState >= 2 && video.videoWidth) {
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        g.drawImage(video, 0, 0);
        const img = g.getImageData(0, 0, canvas.width, canvas.height);
        const code = jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
        if (code && code.data) { stopCamera(); void onQr(code.data); return; }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  $('file').addEventListener('change', (e) => verifyFile(e.target.files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); verifyFile(e.dataTransfer.files[0]); });
  $('scan').addEventListener('click', startCamera);
  $('stop').addEventListener('click', () => { stopCamera(); say(''); });
  $('codeForm').addEventListener('submit', (e) => {
    e.preventDefault();
    const code = $('code').value.trim();
    if (code) void showDocument(code, null);
  });
  void printKeys();
})();
