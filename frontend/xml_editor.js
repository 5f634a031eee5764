// The XML editor: CodeMirror 6 over the form's textarea, which stays the form field (without
// JavaScript the page is a plain textarea with a Validate button). Completion comes from the
// languages' XSD (the page embeds it as JSON: spark_runner/definition/outline.py); problems come
// from the page's own validate action, debounced, and are underlined at their line and column.
import { EditorView, basicSetup } from "codemirror";
import { EditorState } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { indentWithTab } from "@codemirror/commands";
import { xml } from "@codemirror/lang-xml";
import { forceLinting, linter, lintGutter } from "@codemirror/lint";

const VALIDATE_DELAY_MS = 700;

function readSchema() {
  const node = document.getElementById("xml-schema");
  try {
    return node ? JSON.parse(node.textContent) : {};
  } catch (error) {
    return {};
  }
}

// LF only: what the server stores and what line numbers count.
function lf(text) {
  return text.replace(/\r\n?/g, "\n");
}

// A message that quotes a name (`source dataset "ordrs" is not defined`, `unknown attribute
// "pth"`) is underlined at that value or attribute on the problem's line, from its column on.
function quotedRange(line, start, message) {
  for (const match of message.matchAll(/"([^"\n]+)"/g)) {
    const name = match[1];
    for (const needle of [`"${name}"`, ` ${name}=`]) {
      const at = line.text.indexOf(needle, start);
      if (at >= 0) {
        const from = line.from + at + 1;
        return { from, to: from + name.length };
      }
    }
  }
  return null;
}

// From a problem's column to the end of the word (or tag name) there, so the underline is visible.
function problemRange(doc, lineNumber, column, message = "") {
  const line = doc.line(Math.min(Math.max(lineNumber, 1), doc.lines));
  const from = line.from + Math.min(Math.max(column - 1, 0), line.length);
  const quoted = quotedRange(line, from - line.from, message);
  if (quoted) return quoted;
  const rest = line.text.slice(from - line.from);
  const word = /^<?\/?[\w:.\-]+|^\S+/.exec(rest);
  let to = from + (word ? word[0].length : 0);
  if (to === from) to = line.to;
  if (to === from && line.from > 0) return { from: line.from - 1, to: line.from };
  return { from, to };
}

function problemsFrom(fragment, doc) {
  return Array.from(fragment.querySelectorAll("li[data-line]")).map((item) => {
    const text = item.textContent.trim().replace(/^\d+:\d+:\s*/, "");
    const range = problemRange(doc, Number(item.dataset.line), Number(item.dataset.column || 1), text);
    return { from: range.from, to: range.to, severity: "error", message: text, source: "validate" };
  });
}

// The page's own validate action (the form, action=validate, answered with the problems fragment):
// the same checks as the Validate button, and the panel beside the editor stays in step.
function validator(form) {
  return async (view) => {
    const body = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && name !== "action") body.append(name, value);
    }
    body.set("xml", view.state.doc.toString());
    body.set("action", "validate");
    let response;
    try {
      response = await fetch(form.getAttribute("action") || window.location.pathname, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "HX-Request": "true", "X-CSRFToken": body.get("csrfmiddlewaretoken") || "" },
      });
    } catch (error) {
      return [];
    }
    if (!response.ok) return [];
    const holder = document.createElement("div");
    holder.innerHTML = await response.text();
    const fresh = holder.querySelector("#xml-problems");
    const panel = document.getElementById("xml-problems");
    if (fresh && panel) panel.replaceWith(fresh);
    return fresh ? problemsFrom(fresh, view.state.doc) : [];
  };
}

function jumpFromPanel(view) {
  document.addEventListener("click", (event) => {
    const item = event.target.closest && event.target.closest("#xml-problems li[data-line]");
    if (!item) return;
    const text = item.textContent.trim().replace(/^\d+:\d+:\s*/, "");
    const range = problemRange(view.state.doc, Number(item.dataset.line), Number(item.dataset.column || 1), text);
    view.dispatch({ selection: { anchor: range.from }, scrollIntoView: true });
    view.focus();
  });
}

function mount(holder) {
  const textarea = holder.querySelector("textarea");
  const form = textarea && textarea.form;
  if (!textarea || !form) return;
  textarea.value = lf(textarea.value);
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  const view = new EditorView({
    parent: holder,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        basicSetup,
        keymap.of([indentWithTab]),
        EditorState.tabSize.of(2),
        xml(readSchema()),
        lintGutter(),
        linter(validator(form), { delay: VALIDATE_DELAY_MS }),
        EditorView.contentAttributes.of({ "aria-label": label ? label.textContent.trim() : "XML" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) textarea.value = update.state.doc.toString();
        }),
      ],
    }),
  });
  holder.classList.add("has-editor");
  textarea.hidden = true;
  textarea.setAttribute("aria-hidden", "true");
  if (label) label.addEventListener("click", () => view.focus());
  form.addEventListener("submit", () => {
    textarea.value = view.state.doc.toString();
  });
  jumpFromPanel(view);
  // The Validate button (htmx) redraws the panel: bring the underlines in step with it.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail && event.detail.target && event.detail.target.id === "xml-problems") forceLinting(view);
  });
  holder.editorView = view; // for the page's tests and for a person at the console
}

function start() {
  document.querySelectorAll("[data-xml-editor]").forEach(mount);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
