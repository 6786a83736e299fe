// The workflow editor: CodeMirror 6 over the page's textarea (which stays the form's field, so
// the page works without this script), with line numbers, YAML highlighting, completion of the
// case-type schema's keys, and the validator's diagnostics as marks in the gutter.
import { EditorView, basicSetup } from 'codemirror';
import { yaml } from '@codemirror/lang-yaml';
import { linter, lintGutter, setDiagnostics } from '@codemirror/lint';
import { autocompletion } from '@codemirror/autocomplete';
import schema from '../../docs/schema/case-type.json';

// Every key the schema knows, with its description, for completion at the start of a key.
function schemaKeys() {
  const keys = new Map();
  const visit = (node) => {
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node.properties || {})) {
      if (!keys.has(k)) keys.set(k, (v && v.description) || '');
    }
    for (const v of Object.values(node)) if (v && typeof v === 'object') visit(v);
  };
  visit(schema);
  return [...keys].map(([label, info]) => ({ label, type: 'property', info: info.split('\n')[0], apply: `${label}: ` }));
}

const KEYS = schemaKeys();

function keyCompletion(context) {
  const word = context.matchBefore(/^\s*[a-z_]*$/m);
  if (!word || (word.from === word.to && !context.explicit)) return null;
  const start = word.text.length - word.text.trimStart().length;
  return { from: word.from + start, options: KEYS, validFor: /^[a-z_]*$/ };
}

// The diagnostics the server listed beside the editor, as lint marks on their lines.
function pageDiagnostics(doc) {
  const out = [];
  for (const a of document.querySelectorAll('ul.diagnostics a.jump')) {
    const line = Math.min(Math.max(parseInt(a.dataset.line, 10) || 1, 1), doc.lines);
    const l = doc.line(line);
    const col = Math.min(Math.max((parseInt(a.dataset.col, 10) || 1) - 1, 0), l.length);
    const li = a.closest('li');
    out.push({
      from: l.from + col,
      to: l.to,
      severity: li && li.classList.contains('warning') ? 'warning' : li && li.classList.contains('note') ? 'info' : 'error',
      message: li ? li.textContent.replace(a.textContent, '').trim() : '',
    });
  }
  return out;
}

function start() {
  const area = document.getElementById('editor');
  if (!area || area.dataset.codemirror) return;
  area.dataset.codemirror = '1';
  const label = document.querySelector('label[for="editor"]');
  const view = new EditorView({
    doc: area.value,
    extensions: [
      basicSetup,
      yaml(),
      lintGutter(),
      linter(null),
      autocompletion({ override: [keyCompletion] }),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': label ? label.textContent : 'YAML', 'aria-multiline': 'true' }),
      EditorView.updateListener.of((u) => { if (u.docChanged) area.value = u.state.doc.toString(); }),
    ],
  });
  // The textarea stays in the form (it carries the text); the editor stands in its place.
  area.hidden = true;
  area.style.display = 'none';
  area.after(view.dom);
  view.dom.classList.add('code-editor');
  // The scrolling box is reachable by keyboard too (a long workflow scrolls inside it).
  view.scrollDOM.tabIndex = 0;
  view.dispatch(setDiagnostics(view.state, pageDiagnostics(view.state.doc)));
  // A diagnostic's location moves the cursor to it.
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a.jump');
    if (!a) return;
    e.preventDefault();
    const doc = view.state.doc;
    const l = doc.line(Math.min(Math.max(parseInt(a.dataset.line, 10) || 1, 1), doc.lines));
    const pos = l.from + Math.min(Math.max((parseInt(a.dataset.col, 10) || 1) - 1, 0), l.length);
    view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    view.focus();
  }, true);
  area.form && area.form.addEventListener('submit', () => { area.value = view.state.doc.toString(); });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
