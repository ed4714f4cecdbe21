"""Build the offline site: build/site/index.html plus one page per notebook.

Every page works from file:// with no network: outputs and graphs are embedded, the CDN scripts
of nbconvert's template (MathJax, require.js, the mermaid loader) are left out, and each explorer has every
combination of its controls drawn in advance (AUTOGRADVIZ_STATIC=1), switched by a script in the
page. Quizzes are plain HTML forms. Usage: python tools/build_site.py [OUT_DIR] [NAME_PREFIX ...]
"""
import html
import os
import re
import sys
import time
from pathlib import Path

from nbconvert import HTMLExporter

sys.path.insert(0, str(Path(__file__).parent))
from build_notebooks import NOTEBOOKS, execute, sources  # noqa: E402

from autogradviz.quiz import rich  # noqa: E402  (HTML with `code`)
from autogradviz.static import SWITCHER_CSS, SWITCHER_JS  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CDN_SCRIPT = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>")
# nbconvert's mermaid loader imports mermaid from cdnjs when a page has a diagram: offline, none may.
MERMAID_LOADER = re.compile(r"<script type=\"module\">(?:(?!</script>)[\s\S])*?mermaid[\s\S]*?</script>")
# Links whose text is code look like links too; the page's own font for the link back to the index.
SITE_CSS = """
.jp-RenderedHTMLCommon a, .jp-RenderedHTMLCommon a code { color: #0b57d0; }
.agv-back { margin: 2em; font-family: var(--jp-content-font-family, sans-serif); }
.jp-OutputArea-output pre { word-break: normal; overflow-wrap: break-word; }
.agv-quiz-run-first { display: none; }  /* here the form checks answers itself */
"""
NOTEBOOK_LINK = re.compile(r"href=\"(\d\d_\w+)\.ipynb")


def title_and_question(nb) -> tuple[str, str]:
    first = nb.cells[0].source
    title = first.splitlines()[0].lstrip("# ").strip()
    question = re.search(r"\*\*The question\.\*\*\s*(.+?)(?:\n\n|$)", first, re.S)
    paragraphs = [p for p in first.split("\n\n")[1:] if p.strip()]  # else the first paragraph
    return title, " ".join((question.group(1) if question else paragraphs[0] if paragraphs else "").split())


def page(nb) -> str:
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.metadata.get("jupyter", {}).get("source_hidden"):  # a quiz: its source holds the answer
            cell.metadata["transient"] = {"remove_source": True}
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)  # the HTML each explorer carries is shown instead
    title = title_and_question(nb)[0].replace("`", "")  # the browser tab's title, not "Notebook"
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = MERMAID_LOADER.sub("", CDN_SCRIPT.sub("", body))
    body = NOTEBOOK_LINK.sub(r'href="\1.html', body)
    extra = (f"<style>{SWITCHER_CSS}{SITE_CSS}</style><script>{SWITCHER_JS}</script>"
             "<p class='agv-back'><a href='index.html'>&larr; all notebooks</a></p>")
    return body.replace("</body>", extra + "</body>")


def index(entries: list[tuple[str, str, str]]) -> str:
    rows = "".join(f"<tr><td><a href='{html.escape(href)}'>{rich(title)}</a></td>"
                   f"<td>{rich(question)}</td></tr>" for href, title, question in entries)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>autogradviz: the series</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}}
td{{padding:6px 12px;vertical-align:top;border-bottom:1px solid #ddd}}</style></head><body>
<h1>autogradviz: see what autograd records</h1>
<p>The notebooks with their outputs, readable without Python. The toggles of every explorer work
here too: each combination was drawn in advance. To change the code, open the notebooks in
JupyterLab (<code>make lab</code>).</p><table>{rows}</table></body></html>"""


def main(args: list[str]) -> None:
    out = Path(args[0]) if args else NOTEBOOKS.parent / "build" / "site"
    out.mkdir(parents=True, exist_ok=True)
    os.environ["AUTOGRADVIZ_STATIC"] = "1"  # the kernels inherit it
    entries = []
    for source in sources(args[1:]):
        start = time.perf_counter()
        nb = execute(source)
        (out / f"{source.stem}.html").write_text(page(nb), encoding="utf-8")
        entries.append((f"{source.stem}.html", *title_and_question(nb)))
        print(f"{out / source.stem}.html  {time.perf_counter() - start:.1f} s")
    (out / "index.html").write_text(index(entries), encoding="utf-8")
    print(f"{out / 'index.html'}")


if __name__ == "__main__":
    main(sys.argv[1:])
