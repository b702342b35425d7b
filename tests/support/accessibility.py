"""axe-core in a real browser: the rules of WCAG 2.1 A and AA run on a page as it is shown,
and what they find written so that a reader sees which page, which width and which element."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"phone": (390, 844), "desk": (1366, 900), "reflow": (320, 640)}

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations", "incomplete"]});
  const shape = (items) => items.map((rule) => ({
    id: rule.id, impact: rule.impact, help: rule.help,
    nodes: rule.nodes.map((node) => ({target: node.target.join(" "),
                                      html: node.html.slice(0, 160),
                                      summary: node.failureSummary || ""})),
  }));
  return {violations: shape(result.violations), incomplete: shape(result.incomplete)};
}"""


@dataclass(frozen=True)
class Finding:
    """One rule broken on one page at one width."""

    width: str
    rule: str
    help: str
    elements: tuple[str, ...]

    def __str__(self) -> str:
        listed = "\n".join(f"      {element}" for element in self.elements[:5])
        more = len(self.elements) - 5
        tail = f"\n      … and {more} more" if more > 0 else ""
        return f"  at {self.width}: {self.rule} ({self.help})\n{listed}{tail}"


def check(page, widths: dict[str, tuple[int, int]] = WIDTHS) -> tuple[list[Finding], list]:
    """Run axe-core on the loaded page at each width; return the violations and, for a person
    to review by hand, what axe could not decide (contrast over images, for instance)."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    findings, to_review = [], []
    for width, (x, y) in widths.items():
        page.set_viewport_size({"width": x, "height": y})
        result = page.evaluate(_RUN, WCAG_21_AA)
        if x <= 320:
            findings += _reflow(page, width)
        for rule in result["violations"]:
            elements = tuple(f"{n['target']}  {n['html']}" for n in rule["nodes"])
            findings.append(Finding(width, rule["id"], rule["help"], elements))
        to_review += [
            (
                width,
                rule["id"],
                [f"{n['target']}: {_last_line(n['summary'])}" for n in rule["nodes"]],
            )
            for rule in result["incomplete"]
        ]
    return findings, to_review


_WIDER = """() => {
  const limit = window.innerWidth;
  const wide = document.documentElement.scrollWidth;
  if (wide <= limit) return {wide, elements: []};
  const beyond = (e) => e.getBoundingClientRect().right > limit + 1;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "");
  const elements = [...document.querySelectorAll("body *")]
    .filter((e) => beyond(e) && !e.closest(".leaflet-container"))
    .filter((e) => ![...e.children].some(beyond))
    .slice(0, 8).map((e) => name(e) + "  " + e.outerHTML.slice(0, 120));
  return {wide, elements};
}"""


def _reflow(page, width: str) -> list[Finding]:
    """WCAG 1.4.10, which axe does not check: at 320 px the page does not scroll sideways,
    tables included (they stack their rows); the elements reaching past the edge are named."""
    found, limit = page.evaluate(_WIDER), page.viewport_size["width"]
    if found["wide"] <= limit:
        return []
    elements = (f"the page is {found['wide']} px wide", *found["elements"])
    return [
        Finding(
            width, "reflow", f"Content must fit {limit} px without scrolling sideways", elements
        )
    ]


def _last_line(summary: str) -> str:
    return summary.strip().splitlines()[-1].strip() if summary.strip() else ""


def report(name: str, url: str, findings: list[Finding]) -> str:
    """The failure message: the page, then each rule at each width with its elements."""
    rules = sorted({finding.rule for finding in findings})
    body = "\n".join(str(finding) for finding in findings)
    return f"{name} ({url}) breaks {', '.join(rules)}:\n{body}"
