// The e-card page: the holder's refreshing QR code and the verifier's scanner. The device key is made
// here, non-extractable, and kept in IndexedDB; it signs every code (src/ecard/holder/ecardHolder.js).
import { deviceJwk, generateDeviceKey, makeDynamicQr, signClaimProof, QR_LIFETIME_S } from './vendor/ecard-holder.js';
import { encode } from './vendor/uqr.mjs';

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// ---- storage: one card per device
function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('kexin-ecard', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('card');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
async function store(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const tx = d.transaction('card', mode);
    const r = fn(tx.objectStore('card'));
    tx.oncomplete = () => resolve(r?.result);
    tx.onerror = () => reject(tx.error);
  });
}
const loadCard = () => store('readonly', (s) => s.get('current'));
const saveCard = (card) => store('readwrite', (s) => s.put(card, 'current'));
const forgetCard = () => store('readwrite', (s) => s.delete('current'));

async function api(method, path, token, body) {
  const res = await fetch(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.detail ?? json.code ?? `HTTP ${res.status}`);
  return json;
}

// ---- holder
let purpose = 'medical';
let timer;
let card;

function drawQr(text) {
  const canvas = $('qr');
  const m = encode(text, { ecc: 'M', border: 4 });
  const ctx = canvas.getContext('2d');
  const scale = Math.floor(canvas.width / m.size);
  const offset = Math.floor((canvas.width - scale * m.size) / 2);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000';
  for (let y = 0; y < m.size; y++) for (let x = 0; x < m.size; x++) if (m.data[y][x]) ctx.fillRect(offset + x * scale, offset + y * scale, scale, scale);
  canvas.dataset.version = String(m.version);
}

async function showQr() {
  clearInterval(timer);
  const text = await makeDynamicQr({ cardToken: card.cardToken, privateKey: card.privateKey, purpose });
  drawQr(text);
  $('qr').dataset.qr = text;
  let left = QR_LIFETIME_S - 5; // refresh a little before the code expires
  const tick = () => {
    $('countdown').innerHTML = `${left} 秒后刷新<span class="en">refreshes in ${left} s</span>`;
    if (left-- <= 0) void showQr();
  };
  tick();
  timer = setInterval(tick, 1000);
}

async function showHolder() {
  card = await loadCard();
  $('claim-form').hidden = !!card;
  $('card').hidden = !card;
  if (card) await showQr();
}

async function claim() {
  $('claim-error').textContent = '';
  const token = $('claim-token').value.trim();
  try {
    const trust = await api('GET', '/ecard/trust');
    const { nonce } = await api('POST', '/ecard/claims/nonce', token);
    const keys = await generateDeviceKey();
    const jwk = await deviceJwk(keys.publicKey);
    const proof = await signClaimProof({ privateKey: keys.privateKey, jwk, audience: trust.issuer, nonce });
    const c = await api('POST', '/ecard/claims', token, { holderId: $('holder-id').value.trim(), channelId: $('channel-id').value.trim(), deviceJwk: jwk, proof });
    await saveCard({ cardId: c.cardId, cardToken: c.cardToken, credential: c.credential, expiresAt: c.expiresAt, channel: c.channel.id, privateKey: keys.privateKey });
    $('claim-token').value = '';
    await showHolder();
  } catch (err) {
    $('claim-error').textContent = `领取失败 Claim failed: ${err.message}`;
  }
}

// ---- verifier
const REASON_TEXT = {
  ISSUER_SIGNATURE_INVALID: '签名伪造 Forged issuer signature',
  ISSUER_UNKNOWN: '签发者不可信 Unknown issuer',
  HOLDER_SIGNATURE_INVALID: '非本人设备 Not the holder\u2019s device',
  QR_EXPIRED: '二维码已过期 QR code expired',
  QR_NOT_YET_VALID: '二维码时间异常 QR code dated in the future',
  NONCE_REPLAYED: '二维码已使用 QR code already used',
  CARD_SUSPENDED: '卡已挂失 Card suspended (reported lost)',
  CARD_REVOKED: '卡已注销 Card revoked',
  CREDENTIAL_EXPIRED: '电子社保卡已过期 Card expired',
  PURPOSE_MISMATCH: '用途不符 Wrong purpose',
  MALFORMED: '不是电子社保卡二维码 Not an e-card code',
};
let scanning = false;

function showResult(r) {
  const el = $('result');
  el.hidden = false;
  el.className = `result ${r.valid ? 'valid' : 'invalid'}`;
  el.dataset.valid = String(r.valid);
  el.dataset.reasons = r.reasons.join(' ');
  const reasons = r.reasons.map((c) => `<li>${esc(REASON_TEXT[c] ?? c)}</li>`).join('');
  el.innerHTML = r.valid
    ? `✓ 有效<span class="en">Valid — ${esc(r.purpose ?? '')}, status as of ${esc(r.card.asOf ?? '?')}</span>`
    : `✗ 无效<span class="en">Not valid</span><ul>${reasons}</ul>`;
}

async function verifyText(text) {
  try {
    const expected = $('expected-purpose').value;
    showResult(await api('POST', '/ecard/verify', $('verify-token').value.trim(), { qr: text.trim(), ...(expected ? { purpose: expected } : {}) }));
  } catch (err) {
    showResult({ valid: false, reasons: [err.message], card: {} });
  }
}

function decodeFrom(source, w, h) {
  const c = document.createElement('canvas');
  c.width = w; c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  return globalThis.jsQR(ctx.getImageData(0, 0, w, h).data, w, h)?.data;
}

async function scan() {
  if (scanning) return;
  scanning = true;
  $('result').hidden = true;
  const video = $('video');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  video.srcObject = stream;
  await video.play();
  const loop = async () => {
    if (!scanning) return;
    const text = video.videoWidth ? decodeFrom(video, video.videoWidth, video.videoHeight) : undefined;
    if (text && text.startsWith('KX1:')) {
      scanning = false;
      stream.getTracks().forEach((t) => t.stop());
      await verifyText(text);
      return;
    }
    setTimeout(loop, 150);
  };
  void loop();
}

async function upload(file) {
  const img = await createImageBitmap(file);
  const text = decodeFrom(img, img.width, img.height);
  if (text) await verifyText(text);
  else showResult({ valid: false, reasons: ['MALFORMED'], card: {} });
}

// ---- wiring
function route() {
  const view = location.hash === '#verifier' ? 'verifier' : 'holder';
  $('holder').hidden = view !== 'holder';
  $('verifier').hidden = view !== 'verifier';
  $('tab-holder').classList.toggle('active', view === 'holder');
  $('tab-verifier').classList.toggle('active', view === 'verifier');
  if (view === 'holder') void showHolder(); else clearInterval(timer);
}

$('claim').addEventListener('click', () => void claim());
$('refresh').addEventListener('click', () => void showQr());
$('forget').addEventListener('click', async () => { clearInterval(timer); await forgetCard(); await showHolder(); });
for (const b of document.querySelectorAll('.purpose')) {
  b.addEventListener('click', () => {
    purpose = b.dataset.purpose;
    for (const o of document.querySelectorAll('.purpose')) o.classList.toggle('selected', o === b);
    void showQr();
  });
}
$('scan').addEventListener('click', () => void scan().catch((err) => showResult({ valid: false, reasons: [err.message], card: {} })));
$('verify-pasted').addEventListener('click', () => void verifyText($('pasted').value));
$('upload').addEventListener('change', (e) => { const f = e.target.files?.[0]; if (f) void upload(f); });
window.addEventListener('hashchange', route);
route();
document.body.dataset.ready = 'true';
