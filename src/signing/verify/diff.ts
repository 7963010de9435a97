/**
 * What changed between two revisions of a PDF, classified (after pyHanko's difference analysis):
 *   NONE          nothing that matters (objects rewritten identically, unreachable ones);
 *   LTA_UPDATES   DSS (certificates, OCSP responses, CRLs) and document time-stamps;
 *   FORM_FILLING  new signature fields signed, empty signature fields signed, form values, /Info;
 *   ANNOTATIONS   annotations added, changed or removed;
 *   OTHER         anything else — page content, resources, the page tree, catalog entries, an object
 *                 the earlier revision referenced but did not define, a signature dictionary rewritten.
 * Whitelisting, not blacklisting: a change is allowed only when its object's role in the earlier
 * revision is known and the change fits that role. So incremental-saving attacks, signature wrapping
 * and shadow attacks (hide, replace, hide-and-replace) all land in OTHER, whoever signed the document.
 */
import { isArray, isDict, isName, isRef, isStream, type PdfDict, type PdfValue } from '../pdf/objects.ts';
import type { PdfView } from '../pdf/document.ts';
import { PdfError } from '../pdf/parser.ts';

export const MODIFICATION_LEVELS = ['NONE', 'LTA_UPDATES', 'FORM_FILLING', 'ANNOTATIONS', 'OTHER'] as const;
export type ModificationLevel = (typeof MODIFICATION_LEVELS)[number];
export const levelRank = (l: ModificationLevel) => MODIFICATION_LEVELS.indexOf(l);
export const maxLevel = (...ls: ModificationLevel[]): ModificationLevel => ls.reduce((a, b) => (levelRank(b) > levelRank(a) ? b : a), 'NONE');

/** Objects one role walk may visit. */
export const MAX_WALK = 200_000;

export interface DiffFinding {
  readonly level: ModificationLevel;
  readonly object?: number;
  readonly reason: string;
}

export interface RevisionDiff {
  readonly level: ModificationLevel;
  readonly findings: readonly DiffFinding[];
}

type Role = 'catalog' | 'pages' | 'page' | 'annots' | 'annotation' | 'appearance' | 'acroform' | 'field' | 'sigvalue' | 'dss' | 'info' | 'content';

/** Roles of every object reachable in `view`, and every object number referenced at all. */
function roles(view: PdfView): { roles: Map<number, Set<Role>>; referenced: Set<number> } {
  const out = new Map<number, Set<Role>>();
  const referenced = new Set<number>();
  const seen = new Set<string>();
  let budget = MAX_WALK;
  const queue: [PdfValue, Role][] = [];
  const push = (v: PdfValue | undefined, role: Role) => { if (v !== undefined && v !== null) queue.push([v, role]); };
  push(view.trailer.v.get('Root'), 'catalog');
  push(view.trailer.v.get('Info'), 'info');
  while (queue.length) {
    const [v, role] = queue.pop()!;
    let value = v;
    if (isRef(v)) {
      referenced.add(v.n);
      const key = `${v.n}:${role}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (--budget < 0) throw new PdfError('object graph too large to compare');
      const set = out.get(v.n) ?? new Set<Role>();
      set.add(role);
      out.set(v.n, set);
      value = view.get(v.n);
    }
    const d = isDict(value) ? value : isStream(value) ? value.dict : undefined;
    if (isArray(value)) {
      const elementRole: Role = role === 'annots' ? 'annotation' : role === 'acroform' ? 'field' : role === 'pages' ? 'pages' : role;
      for (const x of value) push(x, elementRole);
      continue;
    }
    if (!d) continue;
    let kind: Role = role;
    if (role === 'pages' && (isName(d.v.get('Type'), 'Page') || !d.v.has('Kids'))) {
      kind = 'page';
      if (isRef(v)) { const set = out.get(v.n)!; set.delete('pages'); set.add('page'); }
    }
    for (const [k, x] of d.v) {
      let r: Role | 'skip' = kind === 'dss' || kind === 'info' || kind === 'appearance' ? kind : 'content';
      if (kind === 'catalog') r = k === 'Pages' ? 'pages' : k === 'AcroForm' ? 'acroform' : k === 'DSS' ? 'dss' : 'content';
      else if (kind === 'pages') r = k === 'Kids' ? 'pages' : k === 'Parent' ? 'skip' : 'content';
      else if (kind === 'page') r = k === 'Annots' ? 'annots' : k === 'Parent' ? 'skip' : 'content';
      else if (kind === 'acroform') r = k === 'Fields' ? 'acroform' : 'content';
      else if (kind === 'field' || kind === 'annotation') {
        r = k === 'Kids' ? 'field' : k === 'V' && isName(fieldType(view, d), 'Sig') ? 'sigvalue' : k === 'AP' ? 'appearance' : k === 'Parent' || k === 'P' ? 'skip' : 'content';
      }
      if (r === 'skip') { if (isRef(x)) referenced.add(x.n); continue; }
      push(x, r);
    }
  }
  return { roles: out, referenced };
}

/** A field's /FT, inherited from its parents (ISO 32000-2 §12.7.4.1). */
function fieldType(view: PdfView, d: PdfDict): PdfValue | undefined {
  let cur: PdfDict | undefined = d;
  for (let i = 0; cur && i < 32; i++) {
    const ft = cur.v.get('FT');
    if (ft) return ft;
    cur = view.dict(cur.v.get('Parent'));
  }
  return undefined;
}

/** Structural equality of two values as read (streams: dictionary and raw bytes). */
export function sameValue(a: PdfValue, b: PdfValue, va: PdfView, vb: PdfView, depth = 0): boolean {
  if (depth > 64) return false;
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]!, va, vb, depth + 1));
  }
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'name': return a.v === (b as typeof a).v;
    case 'str': return Buffer.from(a.v).equals(Buffer.from((b as typeof a).v));
    case 'ref': return a.n === (b as typeof a).n && a.g === (b as typeof a).g;
    case 'raw': return a.v === (b as typeof a).v;
    case 'dict': {
      const bd = b as typeof a;
      if (a.v.size !== bd.v.size) return false;
      for (const [k, x] of a.v) if (!bd.v.has(k) || !sameValue(x, bd.v.get(k)!, va, vb, depth + 1)) return false;
      return true;
    }
    case 'stream': {
      const bs = b as typeof a;
      if (a.length !== bs.length || !sameValue(a.dict, bs.dict, va, vb, depth + 1)) return false;
      if (a.start === bs.start) return true;
      return Buffer.from(va.rawStream(a)).equals(Buffer.from(vb.rawStream(bs)));
    }
  }
}

function changedKeys(a: PdfDict, b: PdfDict, va: PdfView, vb: PdfView): string[] {
  const keys = new Set([...a.v.keys(), ...b.v.keys()]);
  return [...keys].filter((k) => !(a.v.has(k) && b.v.has(k) && sameValue(a.v.get(k)!, b.v.get(k)!, va, vb)));
}

const refNums = (v: PdfValue | undefined): (number | undefined)[] => (isArray(v) ? v.map((x) => (isRef(x) ? x.n : undefined)) : []);

/** Compares revision `older` with `newer` (which adds the sections of one incremental update). */
export function diffRevisions(older: PdfView, newer: PdfView): RevisionDiff {
  const findings: DiffFinding[] = [];
  const add = (level: ModificationLevel, reason: string, object?: number) => findings.push({ level, reason, ...(object !== undefined ? { object } : {}) });
  const ot = older.trailer.v; const nt = newer.trailer.v;
  if (!sameValue(ot.get('Root') ?? null, nt.get('Root') ?? null, older, newer)) add('OTHER', 'the trailer points to another document catalog');
  if (ot.has('Encrypt') !== nt.has('Encrypt')) add('OTHER', 'encryption added or removed');
  if (!sameValue(ot.get('Info') ?? null, nt.get('Info') ?? null, older, newer)) add('FORM_FILLING', 'document information dictionary replaced');

  const { roles: oldRoles, referenced } = roles(older);
  const isNewObject = (n: number) => older.entry(n) === undefined || older.entry(n)!.type === 'f';
  const changed = new Set<number>();
  for (const s of newer.revision.sections) for (const n of s.entries.keys()) changed.add(n);

  const sigFieldLevel = (r: PdfValue): ModificationLevel | undefined => {
    // A new annotation that is the widget of a new signature field: FORM_FILLING (LTA for a document time-stamp).
    if (!isRef(r) || !isNewObject(r.n)) return undefined;
    const w = newer.dict(r);
    if (!w) return undefined;
    let field: PdfDict | undefined = w;
    const parent = w.v.get('Parent');
    if (isRef(parent)) {
      if (!isNewObject(parent.n)) return undefined;
      field = newer.dict(parent);
    }
    if (!field || !isName(fieldType(newer, field), 'Sig')) return undefined;
    const v = newer.dict(field.v.get('V'));
    return isName(v?.v.get('Type'), 'DocTimeStamp') ? 'LTA_UPDATES' : 'FORM_FILLING';
  };

  const annotsChange = (oldList: PdfValue | undefined, newList: PdfValue | undefined, object: number) => {
    const o = refNums(oldList); const nn = refNums(newList);
    if (o.includes(undefined) || nn.includes(undefined)) { add('OTHER', 'direct annotation dictionaries changed', object); return; }
    for (const x of o) if (!nn.includes(x)) add('ANNOTATIONS', `annotation ${x} removed`, object);
    for (const x of isArray(newList) ? newList : []) {
      if (!isRef(x) || o.includes(x.n)) continue;
      const level = sigFieldLevel(x);
      if (level) { add(level, level === 'LTA_UPDATES' ? 'document time-stamp field added' : 'signature field added', x.n); continue; }
      if (!isNewObject(x.n)) { add('OTHER', `existing object ${x.n} reused as an annotation`, object); continue; }
      const a = newer.dict(x);
      if (isName(a?.v.get('Subtype'), 'Widget')) add('OTHER', `form field widget ${x.n} added`, x.n);
      else add('ANNOTATIONS', `annotation ${x.n} added`, x.n);
    }
  };

  for (const n of [...changed].sort((a, b) => a - b)) {
    const oe = older.entry(n);
    const ne = newer.entry(n);
    if (oe === undefined || oe.type === 'f') {
      if (referenced.has(n)) add('OTHER', `object ${n} was referenced by the earlier revision but defined only now`, n);
      continue; // a new object: it matters only through the changed objects that reference it
    }
    const rs = oldRoles.get(n);
    if (ne?.type === 'f') { if (rs) add('OTHER', `object ${n} deleted`, n); continue; }
    const ov = older.get(n);
    const nv = newer.get(n);
    if (sameValue(ov, nv, older, newer)) continue;
    if (!rs) continue; // unreachable before: only reachable again through another change
    for (const role of rs) {
      const od = isDict(ov) ? ov : isStream(ov) ? ov.dict : undefined;
      const nd = isDict(nv) ? nv : isStream(nv) ? nv.dict : undefined;
      switch (role) {
        case 'catalog': {
          if (!od || !nd) { add('OTHER', 'catalog replaced', n); break; }
          for (const k of changedKeys(od, nd, older, newer)) {
            if (k === 'DSS' || k === 'Extensions') add('LTA_UPDATES', `catalog /${k} updated`, n);
            else if (k === 'AcroForm' && isDict(nd.v.get('AcroForm'))) formChange(od.v.get('AcroForm'), nd.v.get('AcroForm')!, n);
            else if (k === 'AcroForm' && !od.v.has('AcroForm')) formChange(undefined, newer.resolve(nd.v.get('AcroForm')), n);
            else add('OTHER', `catalog /${k} changed`, n);
          }
          break;
        }
        case 'acroform': if (isArray(ov)) { add('OTHER', 'form field list rewritten', n); } else formChange(ov, nv, n); break;
        case 'page': {
          if (!od || !nd) { add('OTHER', 'page replaced', n); break; }
          for (const k of changedKeys(od, nd, older, newer)) {
            if (k === 'Annots') annotsChange(older.resolve(od.v.get('Annots')), newer.resolve(nd.v.get('Annots')), n);
            else add('OTHER', `page /${k} changed`, n);
          }
          break;
        }
        case 'annots': annotsChange(ov, nv, n); break;
        case 'field': {
          if (!od || !nd) { add('OTHER', 'form field replaced', n); break; }
          const sig = isName(fieldType(older, od), 'Sig');
          for (const k of changedKeys(od, nd, older, newer)) {
            if (sig && k === 'V' && !od.v.has('V')) add('FORM_FILLING', 'empty signature field signed', n);
            else if (!sig && ['V', 'AS', 'AP'].includes(k)) add('FORM_FILLING', `form field /${k} filled`, n);
            else if (sig && k === 'AP' && !od.v.has('V')) add('FORM_FILLING', 'appearance of a signature field being signed', n);
            else add('OTHER', `form field /${k} changed${sig ? ' on a signature field' : ''}`, n);
          }
          break;
        }
        case 'annotation': add(isName(od?.v.get('Subtype'), 'Widget') ? 'OTHER' : 'ANNOTATIONS', `annotation ${n} changed`, n); break;
        case 'appearance': add('ANNOTATIONS', `annotation appearance ${n} changed`, n); break;
        case 'dss': add('LTA_UPDATES', 'DSS content updated', n); break;
        case 'info': add('FORM_FILLING', 'document information updated', n); break;
        case 'sigvalue': add('OTHER', `signature dictionary ${n} rewritten`, n); break;
        case 'pages': add('OTHER', 'page tree changed', n); break;
        default: add('OTHER', `object ${n} (page content, resources or other document content) changed`, n);
      }
    }
  }

  function formChange(ov: PdfValue | undefined, nv: PdfValue, n: number) {
    const od = isDict(ov) ? ov : undefined;
    const nd = isDict(nv) ? nv : undefined;
    if (!nd) { add('OTHER', 'AcroForm replaced', n); return; }
    const keys = od ? changedKeys(od, nd, older, newer) : [...nd.v.keys()];
    for (const k of keys) {
      if (k === 'Fields') {
        const o = refNums(older.resolve(od?.v.get('Fields')));
        const nn = refNums(newer.resolve(nd.v.get('Fields')));
        if (o.some((x, i) => x === undefined || nn[i] !== x)) { add('OTHER', 'existing form fields removed or reordered', n); continue; }
        for (const x of (newer.resolve(nd.v.get('Fields')) as PdfValue[]).slice(o.length)) {
          const level = sigFieldLevel(x);
          if (level) add(level, level === 'LTA_UPDATES' ? 'document time-stamp field added' : 'signature field added', isRef(x) ? x.n : n);
          else add('OTHER', 'a form field other than a new signature field was added', n);
        }
      } else if (k === 'SigFlags') add('LTA_UPDATES', 'AcroForm /SigFlags set', n);
      else if (['DR', 'DA', 'NeedAppearances'].includes(k)) add('FORM_FILLING', `AcroForm /${k} changed`, n);
      else add('OTHER', `AcroForm /${k} changed`, n);
    }
  }

  const level = maxLevel(...findings.map((f) => f.level));
  return Object.freeze({ level, findings: Object.freeze(findings) });
}
