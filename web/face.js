// Kexin face check page: camera → challenge session → frames → result.
//
// How the page is authorised (see src/api/face/routes.ts): the channel back-end (kiosk server, app
// back-end) creates the session with its own access token (scope face:session) and opens this page
// with  #session=<id>&nonce=<nonce>&actions=blink,nod  — the id + nonce are the capability for
// submitting frames and reading the result. The page never holds a token of the channel.
// The fragment never reaches the server or its logs, and is cleared from the address bar at once.
// Tuning (optional): captureMs=<ms per action>, fps=<frames per second>, baselineMs=<ms>.
'use strict';

const PROMPTS = {
  ready: ['请正对屏幕，保持不动', 'Look at the screen and hold still'],
  blink: ['请眨眨眼', 'Please blink'],
  open_mouth: ['请张张嘴', 'Please open your mouth'],
  turn_left: ['请向左转头', 'Please turn your head to your left'],
  turn_right: ['请向右转头', 'Please turn your head to your right'],
  nod: ['请点点头', 'Please nod'],
  sending: ['正在核验，请稍候…', 'Checking, please wait…'],
  camera: ['请允许使用摄像头', 'Please allow the camera'],
};

const REASONS = {
  NO_BLINK: ['没有检测到眨眼', 'No blink was seen'],
  EYES_NOT_REOPENED: ['没有检测到睁眼', 'Eyes did not open again'],
  MOUTH_NOT_OPENED: ['没有检测到张嘴', 'Mouth did not open'],
  TURN_NOT_SEEN: ['没有检测到转头', 'No head turn was seen'],
  NO_NEUTRAL_START: ['请先正对屏幕', 'Please start facing the screen'],
  NO_NOD: ['没有检测到点头', 'No nod was seen'],
  HEAD_NOT_RETURNED: ['请点头后回正', 'Please return to face the screen after nodding'],
  FACE_MISSING: ['没有看清人脸', 'Your face was not visible'],
  MULTIPLE_FACES: ['画面中只能有一个人', 'Only one person may be in view'],
  STILL_IMAGE: ['没有检测到动作', 'No movement was seen'],
  DIFFERENT_PERSON: ['画面中的人发生了变化', 'The person changed during the check'],
  TEMPLATE_MISMATCH: ['与登记照片不一致', 'Does not match the enrolled photo'],
  TOO_FEW_FRAMES: ['画面太少，请重试', 'Too few pictures, please try again'],
  FACE_SESSION_EXPIRED: ['已超时，请重新开始', 'Timed out, please start again'],
  FACE_SUBJECT_LOCKED: ['失败次数过多，请稍后再试', 'Too many failed attempts, please try later'],
  NO_SESSION: ['请从办事渠道重新打开本页面', 'Please open this page again from the service channel'],
};

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.hash.slice(1));
if (location.hash) history.replaceState(null, '', location.pathname + location.search);
const num = (k, d, lo, hi) => { const v = Number(params.get(k)); return Number.isFinite(v) && v >= lo && v <= hi ? v : d; };
const CAPTURE_MS = num('captureMs', 3500, 1000, 15000);
const BASELINE_MS = num('baselineMs', 800, 300, 5000);
const FPS = num('fps', 8, 2, 15);
const MAX_SIDE = 640;

const state = (s) => { document.body.dataset.state = s; };
function say([zh, en]) {
  const p = $('prompt');
  p.replaceChildren();
  const a = document.createElement('span'); a.className = 'zh'; a.textContent = zh;
  const b = document.createElement('span'); b.className = 'en'; b.textContent = en;
  p.append(a, b);
}
function showResult(passed, lines) {
  const r = $('result');
  r.hidden = false;
  r.className = `result ${passed ? 'passed' : 'failed'}`;
  r.replaceChildren();
  for (const [zh, en] of lines) {
    const a = document.createElement('span'); a.textContent = zh;
    const b = document.createElement('span'); b.className = 'en'; b.textContent = en;
    r.append(a, b);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(method, url, body, headers = {}) {
  const res = await fetch(url, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined, cache: 'no-store' });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) { const e = new Error(json.detail || `HTTP ${res.status}`); e.code = json.code; e.status = res.status; throw e; }
  return json;
}

async function openCamera() {
  say(PROMPTS.camera);
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  const v = $('preview');
  v.srcObject = stream;
  await v.play();
  if (!v.videoWidth) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
  return v;
}

async function getSession() {
  if (params.get('session') && params.get('nonce')) {
    return { id: params.get('session'), nonce: params.get('nonce'), actions: (params.get('actions') || '').split(',').filter(Boolean) };
  }
  throw Object.assign(new Error('the page was opened without a face session'), { code: 'NO_SESSION' });
}

// Counts frames the camera actually delivered, so a stalled camera (slow device, low light) never
// yields the same picture twice: the server rejects byte-identical frames as a replay sign.
function frameCounter(video) {
  const c = { presented: 0, waiters: [] };
  if (typeof video.requestVideoFrameCallback !== 'function') return null;
  const tick = (_now, meta) => {
    c.presented = meta.presentedFrames;
    for (const w of c.waiters.splice(0)) w();
    video.requestVideoFrameCallback(tick);
  };
  video.requestVideoFrameCallback(tick);
  return c;
}

// Unmirrored frames, JPEG, with capture times in ms.
function makeGrabber(video) {
  const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const ctx = canvas.getContext('2d');
  const counter = frameCounter(video);
  let lastPresented = -1;
  return async () => {
    if (counter && counter.presented === lastPresented) {
      await Promise.race([new Promise((r) => counter.waiters.push(r)), sleep(500)]);
    }
    if (counter) lastPresented = counter.presented;
    const capturedAt = performance.timeOrigin + performance.now();
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.85));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return { image: btoa(bin), capturedAt };
  };
}

async function capture(grab, ms, frames) {
  const end = performance.now() + ms;
  const step = 1000 / FPS;
  while (performance.now() < end) {
    const t0 = performance.now();
    const f = await grab();
    if (!frames.length || f.capturedAt > frames[frames.length - 1].capturedAt) frames.push(f);
    await sleep(Math.max(0, step - (performance.now() - t0)));
  }
}

async function run() {
  $('start').disabled = true;
  $('result').hidden = true;
  try {
    state('camera');
    const video = await openCamera();
    state('session');
    const session = await getSession();
    window.__faceSession = { id: session.id, actions: session.actions };
    const grab = makeGrabber(video);
    const frames = [];
    state('capturing');
    say(PROMPTS.ready);
    await capture(grab, BASELINE_MS, frames);
    for (let i = 0; i < session.actions.length; i++) {
      const a = session.actions[i];
      say(PROMPTS[a] || [a, a]);
      $('progress').textContent = `${i + 1} / ${session.actions.length}`;
      await capture(grab, CAPTURE_MS, frames);
    }
    $('progress').textContent = '';
    video.srcObject.getTracks().forEach((t) => t.stop());
    state('sending');
    say(PROMPTS.sending);
    const view = await api('POST', `/face/sessions/${encodeURIComponent(session.id)}/frames`, { nonce: session.nonce, frames });
    window.__faceResult = view;
    const passed = view.state === 'passed';
    say(passed ? ['认证完成', 'Check complete'] : ['认证未通过', 'Check not passed']);
    showResult(passed, passed ? [['认证成功', 'Verified']] : (view.result?.reasons || []).slice(0, 2).map((c) => REASONS[c] || ['未通过', c]));
    document.body.dataset.result = passed ? 'passed' : 'failed';
    state('done');
  } catch (err) {
    window.__faceError = { code: err.code || err.name, message: String(err.message) };
    say(['出现问题', 'Something went wrong']);
    const camera = err.name === 'NotAllowedError' || err.name === 'NotFoundError' || err.name === 'NotReadableError';
    showResult(false, [camera ? ['无法使用摄像头，请允许使用或联系工作人员', 'The camera is not available: allow it, or ask staff for help']
      : REASONS[err.code] || ['请重试或联系工作人员', 'Please try again or ask staff for help']]);
    document.body.dataset.result = 'error';
    state('done');
  } finally {
    $('start').disabled = false;
  }
}

$('start').addEventListener('click', run);
